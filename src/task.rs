//! Background fetches whose end is always recorded.

/// Runs `task` on the current Tokio runtime and hands its output to
/// `finish`. If the task panics or is dropped before it ends, `finish` gets
/// `None`: a cache that marked a fetch under way must hear that it ended,
/// or it would wait for it forever and answer 503 for the rest of the
/// instance's life. A task dropped before it first runs is not heard: only
/// a runtime shutting down does that, and then nothing waits any more.
pub fn spawn_finished<T, F>(task: impl Future<Output = T> + Send + 'static, finish: F)
where
    T: Send + 'static,
    F: FnOnce(Option<T>) + Send + 'static,
{
    /// Calls `finish(None)` when dropped still armed (unwinding, or the
    /// runtime dropping the task once it has run).
    struct Armed<F: FnOnce(Option<T>), T>(Option<F>, std::marker::PhantomData<fn(T)>);
    impl<F: FnOnce(Option<T>), T> Drop for Armed<F, T> {
        fn drop(&mut self) {
            if let Some(finish) = self.0.take() {
                if std::thread::panicking() {
                    // A panic escaping a drop during unwinding aborts the
                    // process: a bug in `finish` must cost one fetch only.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        finish(None);
                    }));
                } else {
                    finish(None);
                }
            }
        }
    }
    // Armed inside the task, not before `spawn`: a runtime that is shutting
    // down drops a new task inside `spawn`, and `finish` would then run on
    // the caller's thread while it holds the lock `finish` takes.
    tokio::spawn(async move {
        let mut armed = Armed(Some(finish), std::marker::PhantomData);
        let output = task.await;
        if let Some(finish) = armed.0.take() {
            finish(Some(output));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn the_end_is_heard_whether_the_task_returns_or_panics() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        for fails in [false, true] {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let heard = heard.clone();
            spawn_finished(
                async move {
                    assert!(!fails, "a bug in a fetch");
                    7
                },
                move |output| {
                    heard.lock().unwrap().push(output);
                    tx.send(()).unwrap();
                },
            );
            rx.await.unwrap();
        }
        assert_eq!(*heard.lock().unwrap(), [Some(7), None]);
    }

    #[tokio::test]
    async fn a_finish_that_panics_while_the_task_unwinds_does_not_abort() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        spawn_finished(async { panic!("a bug in a fetch") }, move |_: Option<()>| {
            let _sender = tx;
            panic!("a bug in finish");
        });
        // The sender is dropped either way; the process is still here.
        assert!(rx.await.is_err());
    }
}
