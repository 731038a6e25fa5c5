//! Background fetches whose end is always recorded.

/// Runs `task` on the current Tokio runtime and hands its output to
/// `finish`. If the task panics or is dropped before it ends, `finish` gets
/// `None`: a cache that marked a fetch under way must hear that it ended,
/// or it would wait for it forever and answer 503 for the rest of the
/// instance's life.
pub fn spawn_finished<T, F>(task: impl Future<Output = T> + Send + 'static, finish: F)
where
    T: Send + 'static,
    F: FnOnce(Option<T>) + Send + 'static,
{
    /// Calls `finish(None)` when dropped still armed (unwinding, or the
    /// runtime dropping the task).
    struct Armed<F: FnOnce(Option<T>), T>(Option<F>, std::marker::PhantomData<fn(T)>);
    impl<F: FnOnce(Option<T>), T> Drop for Armed<F, T> {
        fn drop(&mut self) {
            if let Some(finish) = self.0.take() {
                finish(None);
            }
        }
    }
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
}
