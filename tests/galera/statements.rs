//! What a write costs on Galera, counted: every transaction there carries a
//! savepoint and its release (README, "Running on a Galera cluster"), and
//! both must count in `identity_core_db_statements_total` like any other
//! statement, or the metrics and the benchmark report a cluster write as
//! cheaper than it is. SeaORM's metric callback does not see them (they are
//! sent unprepared), which is how they once went uncounted.

use identity_core::Store;

use crate::cluster::{self, NODES};
use crate::galera_test;

galera_test!(a_write_on_galera_counts_its_savepoint_and_its_release, |stack| {
    let store = Store::connect(&cluster::url(NODES[0], &stack.db)).await.expect("connect to node 1");
    identity_core::store::tenants::create(&store, "warm-up").await.expect("a first write");

    store.record_statements(true);
    let before = store.statements();
    identity_core::store::tenants::create(&store, "counted").await.expect("the counted write");
    let used = store.statements() - before;
    let recorded = store.recorded();
    store.record_statements(false);

    for sql in ["SAVEPOINT in_tx", "RELEASE SAVEPOINT in_tx"] {
        assert_eq!(recorded.iter().filter(|s| *s == sql).count(), 1, "{sql} is not counted once: {recorded:#?}");
    }
    // BEGIN and COMMIT are counted too, not recorded: every other statement is.
    assert_eq!(used, recorded.len() as u64 + 2, "counted {used}; recorded: {recorded:#?}");
});
