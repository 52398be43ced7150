//! Signals: the first SIGTERM or Ctrl-C cancels the root token (drain); a second exits at once.

use tokio_util::sync::CancellationToken;

/// Cancel `token` on the first signal; exit the process with status 130 on the second.
pub fn on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested, draining");
        token.cancel();
        wait_for_signal().await;
        tracing::warn!("second signal, exiting at once");
        std::process::exit(130);
    });
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
