//! What happens during a run, as it happens: the one stream every output listens to. A
//! command emits events; the terminal shows progress from them and every sink renders the
//! finished document. Events borrow, so emitting one costs nothing when no sink listens.

use ironprep_schema::HostEntry;

/// One thing that happened during a run.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// The run begins with this many subjects (hosts, BMCs, endpoints).
    Started { subjects: usize },
    /// Work on one subject began (it may have waited for a concurrency slot).
    SubjectStarted { name: &'a str },
    /// A host (or BMC) ended with an outcome and maybe a report.
    HostFinished { entry: &'a HostEntry },
    /// Something a person should know that is not a result: a warning about the input, a
    /// timing of a phase. Shown on the terminal, never in machine-readable documents.
    Note { level: NoteLevel, text: &'a str },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteLevel {
    Info,
    Warning,
}

/// Receives the events of a run; shared by the tasks of a fleet, hence `&self`.
pub trait Observer: Send + Sync {
    fn event(&self, event: &Event<'_>);
}

/// Listens to nothing: for tests and for callers that only want the document.
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: &Event<'_>) {}
}
