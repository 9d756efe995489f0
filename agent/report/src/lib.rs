//! The output pipeline of ironprep, shared by `ironprep-agent` and every `ironprep` command.
//!
//! A command produces a versioned document (`ironprep-schema`) and a [`view::View`] of it — the
//! one vocabulary of results — and emits [`event::Event`]s while it runs. Sinks turn the
//! finished run into a format ([`sinks`]: table, JSON, JUnit, SARIF, HTML); the terminal shows
//! progress from the events. Human output may change between versions; machines read JSON.

pub mod event;
pub mod options;
#[cfg(feature = "progress")]
pub mod progress;
pub mod sinks;
pub mod text;
pub mod view;

pub use options::{ColorChoice, Format, RenderOptions, Verbosity};
pub use view::View;
