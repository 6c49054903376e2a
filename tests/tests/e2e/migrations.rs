//! Every migration applies and reverts on both backends.

use dvc_persistence::migrate;
use dvc_tests::both_backends;

both_backends! {
    fn every_migration_reverts_and_reapplies(app: &TestApp) {
        let mut conn = app.db.connect();
        // The server applied them at start-up; nothing is pending.
        assert_eq!(migrate::run_pending(&mut conn).expect("pending"), Vec::<String>::new());
        let reverted = migrate::revert_all(&mut conn).expect("revert all");
        assert!(!reverted.is_empty());
        let reapplied = migrate::run_pending(&mut conn).expect("reapply");
        assert_eq!(reapplied.len(), reverted.len());
    }
}
