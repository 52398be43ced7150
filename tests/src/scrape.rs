//! What an operator reads from a service's admin port: `GET` over plain HTTP, and the samples
//! of the Prometheus text format.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// `GET path` over HTTP/1.0 on 127.0.0.1:`port`: the status and the body.
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("not an http response: {text}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {head}")))?;
    Ok((status, body.to_string()))
}

/// The sum of the samples of `name` whose labels satisfy `matches` (label name, value); `None`
/// when there is no such sample.
pub fn metric(text: &str, name: &str, matches: impl Fn(&str, &str) -> bool) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (series_name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if series_name != name {
            continue;
        }
        let pairs: Vec<(&str, &str)> = labels
            .split("\",")
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once("=\""))
            .map(|(k, v)| (k, v.trim_end_matches('"')))
            .collect();
        if pairs.iter().all(|(k, v)| matches(k, v)) {
            *found.get_or_insert(0.0) += value.parse::<f64>().expect("sample value");
        }
    }
    found
}

/// `metric` for the samples whose labels include every pair of `labels`.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metric(text, name, |k, v| {
        labels.iter().all(|(lk, lv)| *lk != k || *lv == v)
    })
}

/// `GET /metrics` on `port`, which must answer 200.
pub fn scrape(port: u16) -> String {
    let (status, text) = http_get(port, "/metrics").expect("GET /metrics");
    assert_eq!(status, 200, "{text}");
    text
}

/// Wait until no service (name, admin port) has an unpublished outbox event or an
/// unacknowledged message.
pub fn wait_settled(services: &[(&str, u16)], deadline: Duration) {
    let start = Instant::now();
    loop {
        let busy: Vec<String> = services
            .iter()
            .filter_map(|(service, port)| {
                let text = scrape(*port);
                let backlog = sample(&text, "ogi_outbox_backlog", &[]);
                let pending = sample(&text, "ogi_consumer_pending", &[]).unwrap_or(0.0);
                (backlog != Some(0.0) || pending > 0.0)
                    .then(|| format!("{service}: backlog {backlog:?}, pending {pending}"))
            })
            .collect();
        if busy.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < deadline,
            "the system did not settle: {busy:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
