from metrics.engine import scores_compute
from tests.metrics.conftest import T


def test_worked_example_both_paths(scoring, worked_example):
    for source in ("rollup", "raw"):
        result = scores_compute(tenant=scoring.tenant, at=T, source=source)
        (p,) = result["promises"]
        assert p["score"] == 92.13, source
        assert p["delivery_rate"] == 0.0
        assert p["operational_score"] == 94.44
        assert p["perceived_score"] == 87.5
        assert p["perception_gap"] == 6.94
        assert p["flags"] == []
        c1, c2 = result["commitments"]
        assert (c1["actual"], c1["n"], c1["met"], c1["score"], c1["gap"]) == (85.0, 20, False, 94.44, 5.0)
        assert (c2["actual"], c2["n"], c2["met"], c2["score"], c2["gap"]) == (70.0, 10, False, 87.5, 10.0)
        assert result["tenant"] == {"score": 92.13, "delivery_rate": 0.0}
