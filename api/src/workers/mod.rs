//! Background workers inside `dvc serve`: delivery of changes to the
//! national portal (and, with it, webhooks and payment reconciliation).

pub mod backoff;
pub mod checks;
pub mod notify;
pub mod portal;
pub mod webhooks;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Tells workers to stop (set when the server stops), and waits for them.
#[derive(Clone, Default)]
pub struct Shutdown {
    stopped: Arc<AtomicBool>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Shutdown {
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Keeps a worker's thread so that [`Shutdown::stop_and_join`] can wait for it.
    pub fn track(&self, thread: JoinHandle<()>) {
        if let Ok(mut threads) = self.threads.lock() {
            threads.push(thread);
        }
    }

    /// Stops the workers and waits until each has finished its round (so that
    /// none is mid-query when the process exits).
    pub fn stop_and_join(&self) {
        self.stop();
        let threads: Vec<JoinHandle<()>> = match self.threads.lock() {
            Ok(mut t) => t.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for t in threads {
            let _ = t.join();
        }
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
