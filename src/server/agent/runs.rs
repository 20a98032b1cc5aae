//! The run registry: every agent run by its id, at most one running per chat, the turns that
//! wait behind it in arrival order, and the limits on runs at once.
//!
//! A run keeps the ordered list of its events from the start, so anyone allowed to see the
//! chat (another tab, a script on `/v1/chats/{id}/run`) replays it and then follows it live.
//! The run never waits for its followers: a slow one only reads further behind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::Stream;
use tokio::sync::{watch, OwnedMutexGuard};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::RunEvent;
use crate::server::config::RunLimits;
use crate::server::store::{Engine, Store};

use super::shared_runs::{FoundRun, SharedRuns};

/// How long a finished run stays replayable by its id (a page that learned the id just before
/// the end still sees the end). Short: under load, finished runs' events are held this long.
const LINGER: Duration = Duration::from_secs(15);
/// How long stopped runs get to store their replies at shutdown.
const STOPPED_RUNS_STORE_WITHIN: Duration = Duration::from_secs(5);
/// What a refused client is told to wait before trying again.
const RETRY_AFTER_SECS: u64 = 5;

/// One run: its identity, its events so far, and its stop switch.
pub struct Run {
    pub id: Uuid,
    pub chat_id: Uuid,
    pub owner: Uuid,
    log: Mutex<RunLog>,
    /// Bumped on every event (and at the end), so followers wake up.
    progress: watch::Sender<usize>,
    stop: watch::Sender<bool>,
}

#[derive(Default)]
struct RunLog {
    events: Vec<RunEvent>,
    ended: bool,
}

impl Run {
    /// Appends an event for every follower, present and future.
    pub fn emit(&self, event: RunEvent) {
        let count = {
            let mut log = self.log.lock().expect("run log");
            if log.ended {
                return;
            }
            log.ended = event.is_final();
            log.events.push(event);
            log.events.len()
        };
        self.progress.send_replace(count);
    }

    /// A receiver that wakes on every event.
    pub fn progress_signal(&self) -> watch::Receiver<usize> {
        self.progress.subscribe()
    }

    /// The events from index `from` on, and whether the run has ended.
    pub fn events_from(&self, from: usize) -> (Vec<RunEvent>, bool) {
        let log = self.log.lock().expect("run log");
        (
            log.events
                .get(from..)
                .map(<[RunEvent]>::to_vec)
                .unwrap_or_default(),
            log.ended,
        )
    }

    pub fn is_running(&self) -> bool {
        !self.log.lock().expect("run log").ended
    }

    /// Asks the run to stop; it keeps what arrived, marked as stopped.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// A receiver that turns true when someone stops the run.
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Every event from the start, then the live ones, ending after the final event.
    pub fn follow(self: &Arc<Self>) -> impl Stream<Item = RunEvent> + Send + 'static {
        let rx = self.progress.subscribe();
        futures::stream::unfold(
            (self.clone(), 0usize, rx),
            |(run, next, mut rx)| async move {
                loop {
                    // Mark the current version seen before reading, so an event emitted
                    // after the read wakes the wait below.
                    rx.borrow_and_update();
                    {
                        let log = run.log.lock().expect("run log");
                        if let Some(event) = log.events.get(next) {
                            return Some((event.clone(), (run.clone(), next + 1, rx)));
                        }
                        if log.ended {
                            return None;
                        }
                    }
                    if rx.changed().await.is_err() {
                        return None;
                    }
                }
            },
        )
    }

    /// Bytes held by the run's event log (an estimate, for the memory figure).
    pub fn held_bytes(&self) -> usize {
        let log = self.log.lock().expect("run log");
        log.events
            .iter()
            .map(|e| std::mem::size_of::<RunEvent>() + event_heap_bytes(e))
            .sum()
    }
}

fn event_heap_bytes(event: &RunEvent) -> usize {
    match event {
        RunEvent::Delta { text } => text.capacity(),
        RunEvent::ToolCall { tool, arguments } => tool.capacity() + arguments.capacity(),
        RunEvent::Step { step } => {
            step.tool.capacity() + step.arguments.capacity() + step.summary.capacity()
        }
        RunEvent::Finished { message, .. } | RunEvent::Stopped { message } => {
            message.content.capacity() + message.data.as_ref().map_or(0, String::capacity)
        }
        RunEvent::Failed { error, message } => {
            error.capacity() + message.as_ref().map_or(0, |m| m.content.capacity())
        }
        RunEvent::Started { question, .. } => question.content.capacity(),
        RunEvent::Usage { .. } => 0,
    }
}

/// A chat's turn-taking: the lock the running turn holds (tokio's mutex is fair, so waiting
/// turns run in arrival order), how many wait, and the run going now.
#[derive(Default)]
struct ChatTurns {
    turn: Arc<tokio::sync::Mutex<()>>,
    waiting: usize,
    current: Option<Arc<Run>>,
}

#[derive(Default)]
struct Registry {
    chats: HashMap<Uuid, ChatTurns>,
    runs: HashMap<Uuid, Arc<Run>>,
    running_by_user: HashMap<Uuid, usize>,
    running_total: usize,
}

impl Registry {
    /// Forgets a chat's entry once nothing waits or runs there.
    fn tidy(&mut self, chat_id: Uuid) {
        if let Some(turns) = self.chats.get(&chat_id) {
            if turns.waiting == 0 && turns.current.is_none() {
                self.chats.remove(&chat_id);
            }
        }
    }
}

#[derive(Clone)]
pub struct RunRegistry {
    inner: Arc<Mutex<Registry>>,
    limits: Arc<RunLimits>,
    /// Runs shared with the other processes on the database (PostgreSQL only).
    shared: Option<SharedRuns>,
}

/// The right to run in a chat, held for the whole run: ending or dropping it lets the next
/// turn in.
pub struct RunSlot {
    registry: RunRegistry,
    run: Arc<Run>,
    turn: Option<OwnedMutexGuard<()>>,
}

impl RunSlot {
    pub fn run(&self) -> &Arc<Run> {
        &self.run
    }

    /// Ends the run with its final event. The run stops counting (runs at once, the chat's
    /// current run) and the next turn may go before the event is sent, so a client that
    /// acts on the event never finds the run still counted.
    pub fn end(mut self, event: RunEvent) {
        self.registry.release(&self.run);
        self.turn.take();
        self.run.emit(event);
    }
}

impl Drop for RunSlot {
    fn drop(&mut self) {
        if self.turn.is_some() {
            // Dropped without `end`: the run task failed or its turn could not start.
            self.registry.release(&self.run);
            self.run.emit(RunEvent::Failed {
                error: "The agent stopped unexpectedly.".into(),
                message: None,
            });
        }
    }
}

/// A turn counted as waiting until it gets the chat or its request goes away.
struct Waiting {
    registry: RunRegistry,
    chat_id: Uuid,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut reg = self.registry.inner.lock().expect("registry");
        if let Some(turns) = reg.chats.get_mut(&self.chat_id) {
            turns.waiting -= 1;
        }
        reg.tidy(self.chat_id);
    }
}

impl RunRegistry {
    pub fn new(limits: RunLimits) -> Self {
        RunRegistry {
            inner: Arc::default(),
            limits: Arc::new(limits),
            shared: None,
        }
    }

    /// Shares runs through `store` when several processes may serve it (PostgreSQL): a chat's
    /// turns queue across processes, and runs are followed and stopped from any of them.
    pub fn shared_through(mut self, store: &Store) -> Self {
        if store.engine() == Engine::Postgres {
            self.shared = Some(SharedRuns::new(store.clone()));
        }
        self
    }

    pub fn limits(&self) -> &RunLimits {
        &self.limits
    }

    /// Waits for the chat's turn (behind the running turn and those that came first), then
    /// registers a new run as the chat's current one. Refused with 429 when too many turns
    /// wait in the chat, or when the user or the server has too many runs going. A caller that
    /// goes away while waiting leaves the queue (the future is dropped).
    pub async fn begin(&self, owner: Uuid, chat_id: Uuid) -> Result<RunSlot, AppError> {
        let turn = {
            let mut reg = self.inner.lock().expect("registry");
            let turns = reg.chats.entry(chat_id).or_default();
            // The running turn holds the lock; count only those behind it.
            let busy = turns.current.is_some() || turns.waiting > 0;
            if busy && turns.waiting >= self.limits.queue_per_chat {
                let waiting = turns.waiting;
                reg.tidy(chat_id);
                return Err(AppError::Busy {
                    message: format!(
                        "{waiting} turns are already waiting in this chat; try again when the agent has answered them."
                    ),
                    retry_after_secs: RETRY_AFTER_SECS,
                });
            }
            turns.waiting += 1;
            turns.turn.clone()
        };
        let waiting = Waiting {
            registry: self.clone(),
            chat_id,
        };
        let guard = turn.lock_owned().await;
        // Then the chat's turn across processes (waiting behind a run on another one).
        let run_id = Uuid::new_v4();
        if let Some(shared) = &self.shared {
            shared.claim(run_id, chat_id, owner).await?;
        }
        let mut reg = self.inner.lock().expect("registry");
        let user_runs = reg.running_by_user.get(&owner).copied().unwrap_or(0);
        let refusal = if user_runs >= self.limits.runs_per_user {
            Some(format!(
                "You have {user_runs} agent runs going at once, the most allowed; wait for one to finish."
            ))
        } else if reg.running_total >= self.limits.runs_total {
            Some("The server is answering as many runs as it allows; try again in a moment.".into())
        } else {
            None
        };
        if let Some(message) = refusal {
            drop(reg);
            if let Some(shared) = &self.shared {
                shared.abandon(run_id);
            }
            drop(guard);
            drop(waiting);
            return Err(AppError::Busy {
                message,
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        let run = Arc::new(Run {
            id: run_id,
            chat_id,
            owner,
            log: Mutex::default(),
            progress: watch::channel(0).0,
            stop: watch::channel(false).0,
        });
        *reg.running_by_user.entry(owner).or_default() += 1;
        reg.running_total += 1;
        reg.runs.insert(run.id, run.clone());
        reg.chats.entry(chat_id).or_default().current = Some(run.clone());
        drop(reg);
        // Counted as running now; `Waiting`'s drop takes it off the queue.
        drop(waiting);
        if let Some(shared) = &self.shared {
            shared.publish(run.clone());
        }
        Ok(RunSlot {
            registry: self.clone(),
            run,
            turn: Some(guard),
        })
    }

    /// The run going in the owner's chat, if any.
    pub fn current(&self, owner: Uuid, chat_id: Uuid) -> Option<Arc<Run>> {
        let reg = self.inner.lock().expect("registry");
        reg.chats
            .get(&chat_id)
            .and_then(|t| t.current.clone())
            .filter(|run| run.owner == owner)
    }

    /// A run of the owner's by its id, while it runs and for a few seconds after.
    pub fn get(&self, owner: Uuid, run_id: Uuid) -> Option<Arc<Run>> {
        let reg = self.inner.lock().expect("registry");
        reg.runs.get(&run_id).filter(|r| r.owner == owner).cloned()
    }

    /// The run going in the owner's chat, on this process or another.
    pub async fn find_current(
        &self,
        owner: Uuid,
        chat_id: Uuid,
    ) -> Result<Option<FoundRun>, AppError> {
        if let Some(run) = self.current(owner, chat_id) {
            return Ok(Some(FoundRun::Here(run)));
        }
        let Some(shared) = &self.shared else {
            return Ok(None);
        };
        // A run of this process that just ended can still look live in the database for the
        // moment its publisher takes to write the end: this process knows better.
        Ok(shared
            .live_run(owner, chat_id)
            .await?
            .filter(|found| self.get(owner, found.id()).is_none()))
    }

    /// A run of the owner's by id, on this process or another (while it runs and a while
    /// after).
    pub async fn find(&self, owner: Uuid, run_id: Uuid) -> Result<Option<FoundRun>, AppError> {
        if let Some(run) = self.get(owner, run_id) {
            return Ok(Some(FoundRun::Here(run)));
        }
        match &self.shared {
            Some(shared) => shared.run(owner, run_id).await,
            None => Ok(None),
        }
    }

    /// Stops the run going in the owner's chat, on this process or another.
    pub async fn stop_anywhere(
        &self,
        owner: Uuid,
        chat_id: Uuid,
    ) -> Result<Option<Uuid>, AppError> {
        if let Some(id) = self.stop(owner, chat_id) {
            return Ok(Some(id));
        }
        if self.find_current(owner, chat_id).await?.is_none() {
            return Ok(None);
        }
        match &self.shared {
            Some(shared) => shared.stop(owner, chat_id).await,
            None => Ok(None),
        }
    }

    /// Stops the run going in the owner's chat (not the turns waiting behind it).
    pub fn stop(&self, owner: Uuid, chat_id: Uuid) -> Option<Uuid> {
        let run = self.current(owner, chat_id)?;
        run.stop();
        Some(run.id)
    }

    /// Turns waiting behind the chat's running turn.
    pub fn waiting(&self, chat_id: Uuid) -> usize {
        let reg = self.inner.lock().expect("registry");
        reg.chats.get(&chat_id).map_or(0, |t| t.waiting)
    }

    /// Runs going now: on the server, and of one user.
    pub fn running(&self, owner: Uuid) -> (usize, usize) {
        let reg = self.inner.lock().expect("registry");
        (
            reg.running_total,
            reg.running_by_user.get(&owner).copied().unwrap_or(0),
        )
    }

    /// At shutdown: waits up to `grace` for the runs going to finish, then stops those still
    /// going (each stores what arrived, marked stopped) and waits a little for that. Returns
    /// how many were stopped.
    pub async fn drain(&self, grace: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + grace;
        while self.inner.lock().expect("registry").running_total > 0 {
            if tokio::time::Instant::now() >= deadline {
                let going: Vec<Arc<Run>> = {
                    let reg = self.inner.lock().expect("registry");
                    reg.chats
                        .values()
                        .filter_map(|t| t.current.clone())
                        .collect()
                };
                tracing::warn!("stopping {} runs still going at shutdown", going.len());
                for run in &going {
                    run.stop();
                }
                let stopped_by = tokio::time::Instant::now() + STOPPED_RUNS_STORE_WITHIN;
                while self.inner.lock().expect("registry").running_total > 0
                    && tokio::time::Instant::now() < stopped_by
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                return going.len();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        0
    }

    /// Stops counting a run (once), keeping it replayable by id for a few seconds.
    fn release(&self, run: &Arc<Run>) {
        {
            let mut reg = self.inner.lock().expect("registry");
            if let Some(n) = reg.running_by_user.get_mut(&run.owner) {
                *n -= 1;
                if *n == 0 {
                    reg.running_by_user.remove(&run.owner);
                }
            }
            reg.running_total -= 1;
            if let Some(turns) = reg.chats.get_mut(&run.chat_id) {
                if turns.current.as_ref().is_some_and(|c| c.id == run.id) {
                    turns.current = None;
                }
            }
            reg.tidy(run.chat_id);
        }
        let registry = self.clone();
        let id = run.id;
        tokio::spawn(async move {
            tokio::time::sleep(LINGER).await;
            registry.inner.lock().expect("registry").runs.remove(&id);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn limits() -> RunLimits {
        RunLimits {
            runs_per_user: 2,
            queue_per_chat: 16,
            ..RunLimits::default()
        }
    }

    #[tokio::test]
    async fn followers_replay_from_the_start_then_follow_live() {
        let registry = RunRegistry::new(limits());
        let (user, chat) = (Uuid::new_v4(), Uuid::new_v4());
        let slot = registry.begin(user, chat).await.unwrap();
        let run = slot.run().clone();
        run.emit(RunEvent::Delta { text: "a".into() });
        let late = run.follow();
        run.emit(RunEvent::Delta { text: "b".into() });
        run.emit(RunEvent::Failed {
            error: "x".into(),
            message: None,
        });
        run.emit(RunEvent::Delta {
            text: "after the end".into(),
        });
        let events: Vec<_> = late.collect().await;
        assert_eq!(events.len(), 3);
        assert_eq!(events[0], RunEvent::Delta { text: "a".into() });
        drop(slot);
        assert!(registry.current(user, chat).is_none());
        assert!(registry.get(user, run.id).is_some(), "lingers by id");
        assert!(registry.get(Uuid::new_v4(), run.id).is_none(), "owner only");
    }

    #[tokio::test]
    async fn one_run_per_chat_in_arrival_order_and_a_bounded_queue() {
        let registry = RunRegistry::new(limits());
        let (user, chat) = (Uuid::new_v4(), Uuid::new_v4());
        let first = registry.begin(user, chat).await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        let spawn_waiter = |i: usize| {
            let (registry, order) = (registry.clone(), order.clone());
            tokio::spawn(async move {
                let slot = registry.begin(user, chat).await.unwrap();
                order.lock().unwrap().push(i);
                drop(slot);
            })
        };
        for i in 0..15 {
            waiters.push(spawn_waiter(i));
            tokio::task::yield_now().await;
        }
        // A waiter that goes away leaves the queue.
        let gone = tokio::time::timeout(Duration::from_millis(20), registry.begin(user, chat));
        assert!(gone.await.is_err());
        waiters.push(spawn_waiter(15));
        tokio::task::yield_now().await;
        // The seventeenth waiting turn is refused.
        let refused = registry.begin(user, chat).await.err().unwrap();
        assert_eq!(refused.status(), 429);
        drop(first);
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..16).collect::<Vec<_>>());
        assert!(registry.inner.lock().unwrap().chats.is_empty());
    }

    #[tokio::test]
    async fn runs_at_once_per_user_are_limited() {
        let registry = RunRegistry::new(limits());
        let user = Uuid::new_v4();
        let a = registry.begin(user, Uuid::new_v4()).await.unwrap();
        let _b = registry.begin(user, Uuid::new_v4()).await.unwrap();
        let third = registry.begin(user, Uuid::new_v4()).await.err().unwrap();
        assert_eq!(third.retry_after(), Some(RETRY_AFTER_SECS));
        // Someone else is not affected; a finished run frees the place.
        registry
            .begin(Uuid::new_v4(), Uuid::new_v4())
            .await
            .unwrap();
        drop(a);
        registry.begin(user, Uuid::new_v4()).await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_lets_runs_finish_then_stops_the_rest() {
        let registry = RunRegistry::new(limits());
        let slot = registry
            .begin(Uuid::new_v4(), Uuid::new_v4())
            .await
            .unwrap();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            slot.end(RunEvent::Usage {
                usage: Default::default(),
            });
        });
        assert_eq!(registry.drain(Duration::from_secs(5)).await, 0);
        assert_eq!(registry.running(Uuid::new_v4()).0, 0);
        // A run that only ends when stopped is stopped once the grace is over.
        let slot = registry
            .begin(Uuid::new_v4(), Uuid::new_v4())
            .await
            .unwrap();
        let mut stop = slot.run().stop_signal();
        tokio::spawn(async move {
            let _ = stop.wait_for(|on| *on).await;
            drop(slot);
        });
        assert_eq!(registry.drain(Duration::from_millis(100)).await, 1);
        assert_eq!(registry.running(Uuid::new_v4()).0, 0);
    }
}
