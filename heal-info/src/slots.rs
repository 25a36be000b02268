//! The one rule for glfsheal jobs: at most `jobs` run at once, whoever
//! starts them. `--all` (`all::run_all`) and the exporter's refresh loop
//! (`serve`) both take a slot from a `Slots` before they start a glfsheal
//! and give it back when it has been reaped, so the two cannot drift apart
//! on what "at most N" means (zero jobs is one, a panicking job still
//! frees its slot).

use std::sync::{Condvar, Mutex};

/// A counting semaphore over glfsheal runs.
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// A slot held; dropping it gives the slot back, so an early return or a
/// panic between take and give cannot leak one.
pub struct Slot<'a> {
    slots: &'a Slots,
}

impl Slots {
    /// `jobs` slots; 0 reads as 1, since no job at all would hang.
    pub fn new(jobs: usize) -> Slots {
        Slots {
            free: Mutex::new(jobs.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Waits for a free slot and takes it.
    pub fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Slot { slots: self }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.slots.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.slots.freed.notify_one();
    }
}

/// `f` over `items`, at most `jobs` at once; the results in the order of
/// `items`. Each job starts in the order of `items` (the caller's thread
/// waits for its slot before it starts the next), and no more than `jobs`
/// threads are alive at a time.
pub fn map<T: Sync, R: Send>(jobs: usize, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let slots = Slots::new(jobs);
    let f = &f;
    std::thread::scope(|s| {
        let running: Vec<_> = items
            .iter()
            .map(|item| {
                let slot = slots.take();
                s.spawn(move || {
                    let _slot = slot;
                    f(item)
                })
            })
            .collect();
        running
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Counts how many run at once and remembers the most.
    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    impl Gauge {
        fn busy(&self) {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(n, Ordering::SeqCst);
            // Long enough that, without the limit, every job overlaps.
            std::thread::sleep(Duration::from_millis(30));
            self.now.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn no_more_than_jobs_slots_are_held_at_once() {
        let (slots, gauge) = (Slots::new(3), Gauge::default());
        std::thread::scope(|s| {
            for _ in 0..12 {
                s.spawn(|| {
                    let _slot = slots.take();
                    gauge.busy();
                });
            }
        });
        // Exactly 3: the limit holds, and it is no tighter than asked.
        assert_eq!(gauge.most.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn map_runs_at_most_jobs_at_once_and_keeps_the_order() {
        let gauge = Gauge::default();
        let items: Vec<usize> = (0..10).collect();
        let out = map(4, &items, |&i| {
            gauge.busy();
            i * 10
        });
        assert_eq!(out, (0..10).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(gauge.most.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn zero_jobs_is_one_job() {
        let gauge = Gauge::default();
        let out = map(0, &[1, 2, 3], |&i| {
            gauge.busy();
            i
        });
        assert_eq!(out, [1, 2, 3]);
        assert_eq!(gauge.most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_job_that_panics_gives_its_slot_back() {
        let slots = Slots::new(1);
        let r = std::thread::scope(|s| {
            s.spawn(|| {
                let _slot = slots.take();
                panic!("glfsheal's job failed");
            })
            .join()
        });
        assert!(r.is_err());
        // Would wait for ever if the panic had kept the only slot.
        drop(slots.take());
    }
}
