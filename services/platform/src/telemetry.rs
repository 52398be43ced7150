//! Logging through tracing: lowercase messages with structured fields; JSON when asked.

use tracing_subscriber::{EnvFilter, fmt};

/// Install the global subscriber. `json` selects JSON lines (for operators), else text.
/// The filter comes from `RUST_LOG`, defaulting to `info`.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (in tests) keeps the first subscriber.
    drop(result);
}
