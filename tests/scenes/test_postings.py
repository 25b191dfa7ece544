"""Region nomination scores a picture by the rare words it shares with the region, divided by
the square root of its own number of words: a picture full of words (many chance shares)
does not outrank the one that holds the region."""

from __future__ import annotations

import numpy as np

from cumberland.index.scenes import Postings


def test_a_picture_with_many_words_is_not_nominated_for_them() -> None:
    holder = [1, 2]  # the picture showing the region: few words, both the region's
    crowded = [1, 2, 3, *range(10, 200)]  # shares three of the region's words by chance
    others = [[500 + d] for d in range(8)]  # unrelated pictures (the words stay rare)
    pictures = [holder, crowded, *others]
    words = np.concatenate([np.asarray(p, np.int64) for p in pictures])
    docs = np.concatenate([np.full(len(p), d, np.int64) for d, p in enumerate(pictures)])
    postings = Postings.build(words, docs, 1024, len(pictures))
    region = np.asarray([1, 2, 3], np.int64)
    assert [d for d, _ in postings.score(region, 1)] == [1]
    assert [d for d, _ in postings.score(region, 1, by_length=True)] == [0]
