"""Scene links grouped without chaining: one false link (a poster seen in two rooms) does not
join two series, two independent ones do, and a series seen only as a chain still forms."""

from __future__ import annotations

from cumberland.analysis.grouping import supported_groups


def clique(names: str, weight: float = 40) -> list[tuple[str, str, float]]:
    return [(a, b, weight) for i, a in enumerate(names) for b in names[i + 1:]]


def test_one_false_link_does_not_merge_two_series() -> None:
    # the false link is the strongest: taken first, while both series are still forming
    links = [("a", "w", 90.0), *clique("abcd"), *clique("wxyz")]
    assert sorted(map(sorted, supported_groups(links))) == [list("abcd"), list("wxyz")]


def test_two_independent_links_merge_and_a_chain_still_forms() -> None:
    links = [*clique("abcd"), *clique("wxyz"), ("a", "w", 15.0), ("b", "x", 14.0)]
    assert [sorted(g) for g in supported_groups(links)] == [list("abcdwxyz")]
    # both links from one picture are one piece of evidence, not two
    links = [*clique("abcd"), *clique("wxyz"), ("a", "w", 15.0), ("a", "x", 14.0)]
    assert len(supported_groups(links)) == 2
    chain = [(a, b, 20.0) for a, b in zip("pqrst", "qrstu", strict=False)]
    assert [sorted(g) for g in supported_groups(chain)] == [list("pqrstu")]
