"""Known gaps on Citus, expected to fail (strict: fixing one turns its test red until the mark goes)."""

import pytest

# Their default ordering joins promises_promise without the tenant: Citus cannot route the join
# to one shard ("requires repartitioning") until the ORM's joins between tenant tables carry
# tenant_id = tenant_id (issue 14, "Keys").
UNROUTED_ORM_JOINS = {
    f"test_orm_sees_only_the_active_tenant[promises.{model}]"
    for model in ("Commitment", "CommitmentVersion", "PromiseVersion", "SignOff")
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.name in UNROUTED_ORM_JOINS and "tests/citus/" in item.nodeid:
            item.add_marker(
                pytest.mark.xfail(
                    strict=True,
                    reason="ORM join between tenant tables without tenant_id (model ordering through the promise)",
                )
            )
