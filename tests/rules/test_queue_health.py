import pytest

from helpdesk.rules.queue_health import similar, subject_clusters, subject_words


def test_numbers_case_and_filler_words_are_ignored():
    assert subject_words("Checkout ERROR #123 please help") == {"checkout", "error"}


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("Checkout error on payment page", "checkout error payment page!!", True),
        ("Checkout error on payment page", "Licence key for evaluation", False),
        ("Win a FREE iPhone now", "win free iphone now", True),
        ("", "", False),
        ("123", "456", False),
    ],
)
def test_similar(a, b, alike):
    assert similar(subject_words(a), subject_words(b)) is alike


def test_clusters_need_the_minimum_size_and_come_largest_first():
    subjects = (
        [f"Checkout error on payment page #{n}" for n in range(6)]
        + [f"WIN A FREE IPHONE {n}" for n in range(7)]
        + ["Licence key", "Shipping rates", "Report export empty"]
    )
    clusters = subject_clusters(subjects, min_size=5)
    assert [(c.example, c.size) for c in clusters] == [
        ("WIN A FREE IPHONE 0", 7),
        ("Checkout error on payment page #0", 6),
    ]
    assert subject_clusters(subjects, min_size=8) == []
