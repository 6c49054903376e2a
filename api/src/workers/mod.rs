//! Background workers inside `dvc serve`: delivery of changes to the
//! national portal (and, with it, webhooks and payment reconciliation).

pub mod backoff;
pub mod portal;
pub mod webhooks;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Tells workers to stop (set when the server stops).
#[derive(Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Sleeps up to `d`, waking early when stopped; false once stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let step = Duration::from_millis(50);
        let mut left = d;
        while !self.is_stopped() && !left.is_zero() {
            let s = left.min(step);
            std::thread::sleep(s);
            left -= s;
        }
        !self.is_stopped()
    }
}
