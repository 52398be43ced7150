//! NatsServer against a real nats-server: greeting, JetStream, stop/restart, cleanup.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ogi_testkit::NatsServer;

/// A minimal synchronous NATS client speaking the text protocol, enough to
/// check the server without async-nats.
struct RawClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    info: String,
    next_sid: u32,
}

impl RawClient {
    fn connect(port: u16) -> RawClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to nats-server");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut info = String::new();
        reader.read_line(&mut info).expect("read INFO");
        assert!(info.starts_with("INFO {"), "unexpected greeting: {info:?}");
        let mut client = RawClient {
            reader,
            writer,
            info,
            next_sid: 1,
        };
        client.send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n");
        client
    }

    fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
    }

    /// Publishes `payload` to `subject` and returns the first reply.
    fn request(&mut self, subject: &str, payload: &str) -> String {
        let sid = self.next_sid;
        self.next_sid += 1;
        let inbox = format!("_INBOX.testkit.{sid}");
        self.send(&format!(
            "SUB {inbox} {sid}\r\nPUB {subject} {inbox} {}\r\n{payload}\r\n",
            payload.len()
        ));
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).expect("read from server");
            assert!(n > 0, "server closed the connection");
            let line = line.trim_end();
            if line == "PING" {
                self.send("PONG\r\n");
            } else if let Some(rest) = line.strip_prefix("MSG ") {
                let len: usize = rest.rsplit(' ').next().unwrap().parse().unwrap();
                let mut body = vec![0; len + 2];
                self.reader.read_exact(&mut body).unwrap();
                body.truncate(len);
                return String::from_utf8(body).unwrap();
            } else if line.starts_with("-ERR") {
                panic!("server error: {line}");
            }
        }
    }
}

fn connection_refused(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

#[test]
fn starts_with_jetstream_and_greets_clients() {
    let server = NatsServer::start().expect("start nats-server");
    assert_eq!(server.url, format!("nats://127.0.0.1:{}", server.port));
    assert!(server.store_dir().is_dir());

    let mut client = RawClient::connect(server.port);
    assert!(
        client.info.contains("\"jetstream\":true"),
        "JetStream off: {}",
        client.info
    );
    assert!(client.info.contains(&format!("\"port\":{}", server.port)));

    let account = client.request("$JS.API.INFO", "");
    assert!(
        account.contains("io.nats.jetstream.api.v1.account_info_response"),
        "{account}"
    );
    assert!(!account.contains("\"error\""), "{account}");
}

#[test]
fn servers_are_independent() {
    let a = NatsServer::start().unwrap();
    let b = NatsServer::start().unwrap();
    assert_ne!(a.port, b.port);
    assert_ne!(a.store_dir(), b.store_dir());
    RawClient::connect(a.port);
    RawClient::connect(b.port);
}

#[test]
fn restart_keeps_port_and_jetstream_store() {
    let mut server = NatsServer::start().unwrap();
    let port = server.port;
    let store = server.store_dir().to_path_buf();

    let mut client = RawClient::connect(port);
    let created = client.request(
        "$JS.API.STREAM.CREATE.ORDERS",
        r#"{"name":"ORDERS","subjects":["orders.>"],"storage":"file"}"#,
    );
    assert!(!created.contains("\"error\""), "{created}");
    let ack = client.request("orders.1", "hello");
    assert!(ack.contains("\"seq\":1"), "{ack}");
    drop(client);

    server.stop();
    assert!(!server.is_running());
    assert!(
        connection_refused(port),
        "server still listening after stop"
    );
    server.stop(); // stopping twice is fine

    server.restart().expect("restart nats-server");
    assert!(server.is_running());
    assert_eq!(server.port, port);
    assert_eq!(server.store_dir(), store);

    let mut client = RawClient::connect(port);
    let info = client.request("$JS.API.STREAM.INFO.ORDERS", "");
    assert!(
        !info.contains("\"error\""),
        "stream lost across restart: {info}"
    );
    assert!(info.contains("\"messages\":1"), "{info}");

    // Restart while running kills it first (a crash) and comes back.
    server.restart().unwrap();
    RawClient::connect(port);
}

#[test]
fn drop_kills_the_server_and_removes_its_files() {
    let server = NatsServer::start().unwrap();
    let port = server.port;
    let store = server.store_dir().to_path_buf();
    let log = server.log_path().to_path_buf();
    RawClient::connect(port);
    assert!(log.is_file());

    drop(server);
    assert!(
        connection_refused(port),
        "server still listening after drop"
    );
    assert!(!store.exists(), "store dir left behind");
    assert!(!log.exists(), "log left behind");
}
