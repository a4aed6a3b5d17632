//! Logging: `RUST_LOG` filters (default `info`), text or JSON lines, written by a background
//! thread so request handling never waits on the terminal. Code never logs personal data:
//! identity types print masked, and HTTP spans carry the route template, not the path.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Keep the guard alive until exit: dropping it flushes.
pub fn init(json: bool, quiet: bool) -> Option<WorkerGuard> {
    // Benchmarks log warnings only by default: a log line per task would be measured too.
    let default = if quiet {
        "warn"
    } else {
        "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Not lossy: under a flood of logs, writers wait rather than drop lines.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    // Colour only on a terminal: a log file or a pipe gets plain text (and NO_COLOR is obeyed).
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    let installed = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    installed.ok().map(|()| guard)
}
