"""Region nomination scores a picture by the rare words it shares with the region, divided by
the square root of its own number of words: a picture full of words (many chance shares)
does not outrank the one that holds the region."""

from __future__ import annotations

import numpy as np

from cumberland.index.scenes import SCALE_BIN, Postings, shape_bins


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


def test_chance_words_that_disagree_in_geometry_do_not_outrank_a_true_shot() -> None:
    """Weak geometric consistency: the shot's six shared words all turned by 60 degrees and
    grew by one pyramid step; the distractor shares ten, but each turned and grew its own way
    (chance), so only its best-agreeing few count."""
    rng = np.random.default_rng(0)
    query_words = np.arange(1, 11, dtype=np.int64)
    query_shape = np.stack([rng.integers(0, 256, 10), rng.integers(40, 80, 10)], 1) \
        .astype(np.uint8)
    shot_shape = query_shape[:6].copy()
    shot_shape[:, 0] += np.uint8(256 * 60 // 360)
    shot_shape[:, 1] += np.uint8(round(SCALE_BIN))
    chance_shape = np.stack([(query_shape[:, 0] + np.arange(10) * 25) % 256,
                             query_shape[:, 1] + np.arange(10) * 9], 1).astype(np.uint8)
    pictures = [(query_words[:6], shot_shape), (query_words, chance_shape)]
    pictures += [(np.asarray([500 + d], np.int64), np.zeros((1, 2), np.uint8))
                 for d in range(8)]
    words = np.concatenate([w for w, _ in pictures])
    docs = np.concatenate([np.full(len(w), d, np.int64) for d, (w, _) in enumerate(pictures)])
    bins = shape_bins(np.concatenate([s for _, s in pictures]))
    postings = Postings.build(words, docs, 1024, len(pictures), bins)
    assert [d for d, _ in postings.score(query_words, 1)] == [1]  # by words alone
    assert [d for d, _ in postings.score(query_words, 2, bins=shape_bins(query_shape))] == [0, 1]
    # the bins follow the postings through a merge (the workspace's index grows by merges)
    merged = Postings.build(words[:0], docs[:0], 1024, 0, bins[:0]).merge(postings)
    assert [d for d, _ in merged.score(query_words, 1, bins=shape_bins(query_shape))] == [0]
