//! What hardly changes, read once: the agency tree and the parsed working
//! calendars. A server keeps them in its [`Caches`]; the database holds a
//! generation that every change to an agency or a calendar raises in its own
//! transaction ([`changed`]). Within one unit of database work ([`scoped`]:
//! one request's closure), the generation is read once, with the first
//! cached value asked for; a value kept for another generation is read
//! again. So every process sees a change as soon as it commits, and never
//! one that was rolled back.
//!
//! Outside a scope (the workers, the command line), values are read from
//! the database each time.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use diesel::prelude::*;
use dvc_domain::calendar::WorkingCalendar;

use crate::agencies::AgencyTree;
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::cache_generation;

/// Values kept by name, each with the generation it was read at.
type Shelf<T> = Mutex<HashMap<String, (i64, Arc<T>)>>;

/// One server's cached values.
#[derive(Default)]
pub struct Caches {
    agencies: Shelf<AgencyTree>,
    calendars: Shelf<WorkingCalendar>,
}

/// The unit of database work running on this thread.
struct Scope {
    caches: Arc<Caches>,
    /// The generation read in this scope, once asked for.
    generation: Option<i64>,
    /// Set once this scope changed a cached kind of value: from then on it
    /// reads the database (its transaction may still roll back).
    changed: bool,
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Runs `f` as one unit of database work that reads through `caches`.
pub fn scoped<T>(caches: &Arc<Caches>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Scope>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SCOPE.with(|s| *s.borrow_mut() = previous);
        }
    }
    let previous =
        SCOPE.with(|s| s.borrow_mut().replace(Scope { caches: caches.clone(), generation: None, changed: false }));
    let _restore = Restore(previous);
    f()
}

/// Raises the generation: called in the transaction that changes an agency
/// or a calendar.
pub(crate) fn changed(conn: &mut DbConnection) -> Result<(), StoreError> {
    diesel::update(cache_generation::table.find(1))
        .set(cache_generation::generation.eq(cache_generation::generation + 1))
        .execute(conn)?;
    SCOPE.with(|s| {
        if let Some(scope) = s.borrow_mut().as_mut() {
            scope.changed = true;
        }
    });
    Ok(())
}

pub(crate) fn agencies(
    conn: &mut DbConnection,
    load: impl FnOnce(&mut DbConnection) -> Result<AgencyTree, StoreError>,
) -> Result<Arc<AgencyTree>, StoreError> {
    through(conn, "", |c| &c.agencies, load)
}

pub(crate) fn calendar(
    conn: &mut DbConnection,
    id: &str,
    load: impl FnOnce(&mut DbConnection) -> Result<WorkingCalendar, StoreError>,
) -> Result<Arc<WorkingCalendar>, StoreError> {
    through(conn, id, |c| &c.calendars, load)
}

/// The value named `key`: kept for the database's generation, or loaded
/// (and kept, inside a scope that changed nothing).
fn through<T>(
    conn: &mut DbConnection,
    key: &str,
    shelf: fn(&Caches) -> &Shelf<T>,
    load: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
) -> Result<Arc<T>, StoreError> {
    let scope = SCOPE.with(|s| s.borrow().as_ref().filter(|s| !s.changed).map(|s| (s.caches.clone(), s.generation)));
    let Some((caches, known)) = scope else { return load(conn).map(Arc::new) };
    let generation = match known {
        Some(g) => g,
        None => {
            let g = cache_generation::table.find(1).select(cache_generation::generation).first::<i64>(conn)?;
            SCOPE.with(|s| {
                if let Some(scope) = s.borrow_mut().as_mut() {
                    scope.generation = Some(g);
                }
            });
            g
        }
    };
    let kept = shelf(&caches).lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned();
    if let Some((_, value)) = kept.filter(|(g, _)| *g == generation) {
        return Ok(value);
    }
    // Read after the generation: at least as new as it, so never kept for
    // a generation older than what it shows.
    let value = Arc::new(load(conn)?);
    let mut kept = shelf(&caches).lock().unwrap_or_else(PoisonError::into_inner);
    // A scope that read an older generation does not replace a newer value.
    if kept.get(key).is_none_or(|(g, _)| *g <= generation) {
        kept.insert(key.to_owned(), (generation, value.clone()));
    }
    Ok(value)
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use std::cell::Cell;

    use diesel::Connection;

    use super::*;
    use crate::connection::{DatabaseUrl, DbManager};

    /// A fresh SQLite database, and two connections to it: one for the
    /// server under test, one for "another process".
    fn database() -> (std::path::PathBuf, DbConnection, DbConnection) {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("dvc-cache-{}-{nanos}.db", std::process::id()));
        let manager = DbManager::new(DatabaseUrl::Sqlite(path.to_string_lossy().into_owned()));
        let mut server = manager.connect().expect("connect");
        crate::migrate::run_pending(&mut server).expect("migrations");
        let other = manager.connect().expect("connect");
        (path, server, other)
    }

    #[test]
    fn a_value_is_read_once_per_generation_and_a_rolled_back_change_is_never_kept() {
        let (path, mut conn, mut other) = database();
        let caches = Arc::new(Caches::default());
        let loads = Cell::new(0);
        let read = |conn: &mut DbConnection| {
            calendar(conn, "default", |_| {
                loads.set(loads.get() + 1);
                Ok(WorkingCalendar::default_vietnam())
            })
            .map(drop)
        };
        scoped(&caches, || read(&mut conn).and_then(|()| read(&mut conn))).expect("first scope");
        assert_eq!(loads.get(), 1, "read once in a scope");
        scoped(&caches, || read(&mut conn)).expect("second scope");
        assert_eq!(loads.get(), 1, "kept across scopes while nothing changes");
        read(&mut conn).expect("outside a scope");
        assert_eq!(loads.get(), 2, "outside a scope, always read");

        // Another process changes a calendar: the next scope reads again.
        changed(&mut other).expect("change elsewhere");
        scoped(&caches, || read(&mut conn)).expect("after the change");
        assert_eq!(loads.get(), 3);

        // A change rolled back: read afresh inside, and never kept.
        let rolled_back: Result<(), StoreError> = scoped(&caches, || {
            conn.transaction(|conn| {
                changed(conn)?;
                read(conn)?;
                read(conn)?;
                Err(StoreError::Unavailable("roll back".into()))
            })
        });
        assert!(rolled_back.is_err());
        assert_eq!(loads.get(), 5, "a scope that changed something reads the database");
        scoped(&caches, || read(&mut conn)).expect("after the rollback");
        assert_eq!(loads.get(), 5, "the value kept before the rolled-back change still holds");
        drop((conn, other));
        let _ = std::fs::remove_file(path);
    }
}
