//! The services on a three-node NATS cluster with three-replica streams, on PostgreSQL: the
//! node leading the intake stream is SIGKILLed in the middle of an import of synthetic cases.
//! The import finishes (or is resumed), every case completes exactly once — counted on the
//! event streams — and the export gives back every outcome. The killed node then rejoins and
//! catches up.
//!
//! `OGI_CLUSTER_CASES` sets the number of cases (default 1000, which keeps the test near a
//! minute and a half on two busy cores; 2000 takes about twice as long).

use std::time::{Duration, Instant};

use ogi_core::records::{self, CaseRecord};
use ogi_e2e::{Backend, System, stderr, stdout, write};
use ogi_testkit::{NatsCluster, poll_until};

const STREAMS: [&str; 4] = [
    "OGI_INTAKE",
    "OGI_VALIDATION",
    "OGI_APPROVAL",
    "OGI_PUBLISHING",
];

fn cases() -> usize {
    std::env::var("OGI_CLUSTER_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// A JetStream context on any live node of the system's NATS, with a short request timeout:
/// during a leader election a request goes unanswered, and a poll should then try again soon
/// rather than wait out the default ten seconds.
async fn jetstream(system: &System) -> Option<async_nats::jetstream::Context> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(1))
        .request_timeout(Some(Duration::from_millis(500)))
        .connect(system.nats.urls())
        .await
        .ok()?;
    Some(
        async_nats::jetstream::context::ContextBuilder::new()
            .timeout(Duration::from_millis(500))
            .build(client),
    )
}

/// A subject's count, or `None` while the cluster cannot answer (a leader election).
async fn count(system: &System, stream: &str, subject: &str) -> Option<u64> {
    use futures::StreamExt;
    let js = jetstream(system).await?;
    let stream = js.get_stream(stream).await.ok()?;
    let mut subjects = stream.info_with_subjects(subject).await.ok()?;
    let mut total = 0;
    while let Some(entry) = subjects.next().await {
        total += entry.ok()?.1 as u64;
    }
    Some(total)
}

/// A subject's count, retried through leader elections for up to 30 seconds.
async fn count_now(system: &System, stream: &str, subject: &str) -> u64 {
    poll_until(Duration::from_secs(30), subject, || {
        count(system, stream, subject)
    })
    .await
    .unwrap()
}

/// A subject's count once it reaches `want` (events of commands that already returned may
/// still be in their service's outbox), or whatever it is after 30 seconds.
async fn count_reaching(system: &System, stream: &str, subject: &str, want: u64) -> u64 {
    let reached = poll_until(Duration::from_secs(30), subject, || async {
        count(system, stream, subject).await.filter(|n| *n >= want)
    })
    .await;
    match reached {
        Ok(n) => n,
        Err(_) => count_now(system, stream, subject).await,
    }
}

/// The server name of `stream`'s leader, whether every follower is current and online, and
/// the number of followers.
async fn stream_cluster(system: &System, stream: &str) -> Option<(String, bool, usize)> {
    let js = jetstream(system).await?;
    let info = js.get_stream(stream).await.ok()?.info().await.ok()?.clone();
    let cluster = info.cluster?;
    let all_current = cluster
        .replicas
        .iter()
        .all(|peer| peer.current && !peer.offline);
    Some((cluster.leader?, all_current, cluster.replicas.len()))
}

/// A child process killed if the test fails before it waits for it.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_intake_stream_leader_killed_during_an_import_on_a_three_node_cluster() {
    let n = cases();
    let started = Instant::now();
    let lap = |what: &str| eprintln!("[{:>7.1?}] {what}", started.elapsed());

    let mut cluster = NatsCluster::start(3).unwrap();
    lap(&format!("3-node cluster up: {}", cluster.urls()));
    let system = System::start_on(
        Backend::Postgres,
        cluster.urls(),
        Some("stream_replicas = 3\n"),
    )
    .await
    .unwrap();
    lap("services healthy");
    let js = system.jetstream().await.unwrap();
    for name in STREAMS {
        let mut stream = js.get_stream(name).await.unwrap();
        let info = stream.info().await.unwrap();
        assert_eq!(info.config.num_replicas, 3, "{name} has three replicas");
        assert_eq!(
            info.cluster.as_ref().map(|c| c.replicas.len()),
            Some(2),
            "{name}: a leader and two followers"
        );
    }
    drop(js);

    let synth = system.ogi(&[
        "records",
        "synth",
        "--cases",
        &n.to_string(),
        "--year",
        "2025",
    ]);
    assert!(synth.status.success(), "{}", stderr(&synth));
    let text = stdout(&synth);
    let input = records::parse_jsonl(&text);
    assert_eq!(input.records.len(), n, "{:?}", input.errors.first());
    assert!(
        input.records.iter().all(|(_, r)| r.outcome.is_some()),
        "every synthetic case is closed, so every case is served"
    );
    let path = write(system.dir.path(), "synthetic.jsonl", &text);
    let path = path.to_str().unwrap();
    lap(&format!("{n} synthetic cases"));

    let mut import = KillOnDrop(Some(system.ogi_spawn(&["import", path])));
    let import_started = Instant::now();
    let under_way = (n as u64 / 5).max(1);
    poll_until(Duration::from_secs(90), "the import under way", || async {
        let received = count(&system, "OGI_INTAKE", "ogi.intake.application.received").await?;
        (received >= under_way).then_some(received)
    })
    .await
    .unwrap();
    let (leader, _, _) = poll_until(Duration::from_secs(10), "the OGI_INTAKE leader", || {
        stream_cluster(&system, "OGI_INTAKE")
    })
    .await
    .unwrap();
    let victim = cluster.index_of(&leader).unwrap();
    let served_at_kill = count_now(&system, "OGI_PUBLISHING", "ogi.publishing.reply.served").await;
    let received_at_kill =
        count_now(&system, "OGI_INTAKE", "ogi.intake.application.received").await;
    let on_victim: Vec<&str> = ogi_e2e::SERVICES
        .into_iter()
        .filter(|s| system.nats_url(s) == cluster.url(victim))
        .collect();
    cluster.kill(victim);
    let killed_at = Instant::now();
    lap(&format!(
        "killed {leader} (leader of OGI_INTAKE; seed of {on_victim:?}) at {received_at_kill} received, {served_at_kill} served"
    ));

    // Failover: a new leader, and the pipeline moves again.
    let (new_leader, _, _) = poll_until(Duration::from_secs(30), "a new OGI_INTAKE leader", || {
        let leader = leader.clone();
        let system = &system;
        async move {
            stream_cluster(system, "OGI_INTAKE")
                .await
                .filter(|(l, _, _)| *l != leader)
        }
    })
    .await
    .unwrap();
    let leader_after = killed_at.elapsed();
    // More applications stored than were before the kill (with some margin for publishes
    // that were on their way): the intake stream takes writes again.
    poll_until(
        Duration::from_secs(60),
        "applications received after the kill",
        || async {
            let received = count(&system, "OGI_INTAKE", "ogi.intake.application.received").await?;
            (received >= (received_at_kill + 50).min(n as u64)).then_some(())
        },
    )
    .await
    .unwrap();
    lap(&format!(
        "new OGI_INTAKE leader {new_leader} after {leader_after:.1?}; applications stored again after {:.1?}",
        killed_at.elapsed()
    ));

    let import = import.0.take().unwrap();
    let first = tokio::task::spawn_blocking(move || import.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    lap(&format!(
        "first import exited {} after {:.1?}: {}",
        first.status,
        import_started.elapsed(),
        stdout(&first).lines().last().unwrap_or_default()
    ));
    // Whatever the first run could not finish, a second run resumes; nothing is applied twice.
    let second = system.ogi(&["import", path]);
    assert!(
        second.status.success(),
        "first: {}\n{}{}\nsecond: {}\n{}{}\n{}",
        first.status,
        stdout(&first),
        stderr(&first),
        second.status,
        stdout(&second),
        stderr(&second),
        system.logs()
    );
    lap(&format!(
        "second import: {}",
        stdout(&second).lines().last().unwrap_or_default()
    ));

    let served = poll_until(Duration::from_secs(90), "every case served", || async {
        let served = count(&system, "OGI_PUBLISHING", "ogi.publishing.reply.served").await?;
        (served >= n as u64).then_some(served)
    })
    .await
    .unwrap_or_else(|err| panic!("{err:#}\n{}", system.logs()));
    assert_eq!(served, n as u64, "every case served exactly once");
    lap(&format!("{served} served"));

    let expected = expected_counts(&input.records);
    for (stream, subject, want) in &expected {
        let got = count_reaching(&system, stream, subject, *want).await;
        assert_eq!(got, *want, "{subject}");
    }
    // Every service is still up: none gave up when its NATS node died.
    system.wait_healthy(Duration::from_secs(10)).unwrap();

    // Every case is closed with its recorded outcome and reviews.
    let exported = system.ogi(&["export"]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let output = records::parse_jsonl(&stdout(&exported));
    assert_eq!(output.records.len(), n, "{:?}", output.errors.first());
    let by_ref: std::collections::HashMap<&str, &CaseRecord> = output
        .records
        .iter()
        .map(|(_, r)| (r.reference.as_str(), r))
        .collect();
    for (_, want) in &input.records {
        let got = by_ref
            .get(want.reference.as_str())
            .unwrap_or_else(|| panic!("{} not exported", want.reference));
        assert_eq!(got.outcome, want.outcome, "{}", want.reference);
        assert_eq!(got.reviews, want.reviews, "{}", want.reference);
    }
    lap(&format!("export: {n} records, outcomes as imported"));

    // The killed node comes back and catches up on every stream.
    cluster.restart(victim).unwrap();
    for name in STREAMS {
        poll_until(Duration::from_secs(60), name, || async {
            stream_cluster(&system, name)
                .await
                .filter(|(_, all_current, replicas)| *all_current && *replicas == 2)
        })
        .await
        .unwrap();
    }
    for (stream, subject, want) in &expected {
        assert_eq!(
            count_now(&system, stream, subject).await,
            *want,
            "{subject}"
        );
    }
    lap(&format!("{leader} rejoined, every stream current"));
    let failed_publishes: Vec<String> = system
        .services
        .iter()
        .map(|s| {
            let log = std::fs::read_to_string(system.dir.path().join(format!("{}.log", s.name)))
                .unwrap_or_default();
            format!(
                "{} {}",
                s.name,
                log.matches("outbox publish failed").count()
            )
        })
        .collect();
    lap(&format!(
        "outbox publish failures per service: {failed_publishes:?}"
    ));
}

/// Exact event counts the input implies: one received, approved and served event per case,
/// accepted or abandoned (`other.correction_overdue`: the applicant never corrected), and one
/// review event per review.
fn expected_counts(input: &[(usize, CaseRecord)]) -> Vec<(&'static str, &'static str, u64)> {
    let n = input.len() as u64;
    let abandoned = input
        .iter()
        .filter(|(_, r)| {
            r.outcome.as_ref().map(|o| o.code)
                == Some(ogi_core::codes::OutcomeCode::OtherCorrectionOverdue)
        })
        .count() as u64;
    let reviews = input.iter().map(|(_, r)| r.reviews.len() as u64).sum();
    vec![
        ("OGI_INTAKE", "ogi.intake.application.received", n),
        (
            "OGI_VALIDATION",
            "ogi.validation.application.accepted",
            n - abandoned,
        ),
        (
            "OGI_VALIDATION",
            "ogi.validation.application.abandoned",
            abandoned,
        ),
        // Abandoned cases get a system-approved notice, so every case is approved once.
        ("OGI_APPROVAL", "ogi.approval.decision.approved", n),
        ("OGI_APPROVAL", "ogi.approval.review.recorded", reviews),
        ("OGI_PUBLISHING", "ogi.publishing.reply.served", n),
    ]
}
