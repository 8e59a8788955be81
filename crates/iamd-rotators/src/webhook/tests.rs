#![expect(clippy::indexing_slicing, reason = "tests")]

//! The webhook rotator against receivers on 127.0.0.1 (plain std::net servers, one with TLS).

use super::url::Url;
use super::*;
use crate::PasswordParams;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef-test-key";
const ARN: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf";
const TOKEN: &str = "5a7a5c2e-6a1d-4c8e-9d3b-2f3e4d5c6b7a";
const GENERATED: &str = "generated-Passw0rd!";
const PENDING: &str = "pending-S3cret-value";

struct Host {
    tags: Vec<(String, String)>,
}

impl Host {
    fn tagged(url: &str) -> Self {
        Self {
            tags: vec![(URL_TAG.to_owned(), url.to_owned())],
        }
    }
}

impl RotationHost for Host {
    fn secret_arn(&self) -> &str {
        ARN
    }
    fn token(&self) -> &str {
        TOKEN
    }
    fn tags(&self) -> &[(String, String)] {
        &self.tags
    }
    fn other_secret_value(&self, _: &str) -> Result<Zeroizing<String>, RotationError> {
        Err(RotationError::new("not in these tests"))
    }
    fn random_password(&self, params: &PasswordParams) -> Result<Zeroizing<String>, RotationError> {
        assert_eq!(params.length, 32, "the password rotator's parameters");
        Ok(Zeroizing::new(GENERATED.to_owned()))
    }
}

fn values<'a>(current: &'a str, pending: Option<&'a str>) -> Values<'a> {
    Values {
        current,
        previous: None,
        pending,
    }
}

/// One request as the receiver read it.
#[derive(Debug)]
struct Received {
    head: String,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

fn read_request(stream: &mut impl Read) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received { head, body })
}

fn response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

type Respond = Box<dyn Fn(&Received) -> Vec<u8> + Send>;

/// A plain-HTTP receiver: every request is sent on the channel, then answered by `respond`.
fn receiver(respond: Respond) -> (u16, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some(request) = read_request(&mut stream) else {
                continue;
            };
            let answer = respond(&request);
            let _ = tx.send(request);
            let _ = stream.write_all(&answer);
            let _ = stream.flush();
        }
    });
    (port, rx)
}

/// A listener that only counts the connections it is offered.
fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

fn ok_empty() -> Respond {
    Box::new(|_| response("204 No Content", ""))
}

fn config(allow: &[&str]) -> WebhookConfig {
    let mut c = WebhookConfig::new(
        allow.iter().map(|s| (*s).to_owned()).collect(),
        Zeroizing::new(KEY.to_vec()),
    );
    c.dev = true;
    c
}

fn webhook(allow: &[&str]) -> Webhook {
    Webhook::new(config(allow)).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn assert_no_leak(err: &RotationError, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !err.message.contains(s),
            "the message leaks `{s}`: {}",
            err.message
        );
    }
}

#[test]
fn each_step_is_posted_as_the_aws_event_and_signed() {
    let (port, rx) = receiver(ok_empty());
    let base = format!("http://127.0.0.1:{port}/hooks");
    let w = webhook(&[&base]);
    let host = Host::tagged(&format!("{base}/rotate?team=a"));

    let created = w.create_secret(&host, &values("old", None)).unwrap();
    assert_eq!(created.as_str(), GENERATED);
    w.set_secret(&host, &values("old", Some(PENDING))).unwrap();
    w.test_secret(&host, &values("old", Some(PENDING))).unwrap();

    for (step, pending) in [
        ("createSecret", None),
        ("setSecret", Some(PENDING)),
        ("testSecret", Some(PENDING)),
    ] {
        let r = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(
            r.head.starts_with("POST /hooks/rotate?team=a HTTP/1.1\r\n"),
            "{}",
            r.head
        );
        assert_eq!(r.header("host").unwrap(), format!("127.0.0.1:{port}"));
        assert_eq!(r.header("content-type").unwrap(), "application/json");
        assert_eq!(
            r.head
                .lines()
                .filter(|l| l.to_ascii_lowercase().starts_with("content-length:"))
                .count(),
            1,
            "{}",
            r.head
        );
        assert!(r.header("transfer-encoding").is_none(), "{}", r.head);
        let mut expected = serde_json::json!({
            "Step": step,
            "SecretId": ARN,
            "ClientRequestToken": TOKEN,
        });
        if let Some(p) = pending {
            expected["PendingSecretString"] = p.into();
        }
        assert_eq!(r.json(), expected, "{step}");
        let signature = r.header("x-iamd-signature").unwrap();
        sign::verify(KEY, &signature, &r.body, now(), 300).unwrap();
        // The signature covers the body: one byte changed, or another key, fails.
        let mut tampered = r.body.clone();
        tampered[2] ^= 1;
        assert_eq!(
            sign::verify(KEY, &signature, &tampered, now(), 300),
            Err(sign::VerifyError::Mismatch)
        );
        assert_eq!(
            sign::verify(b"another key", &signature, &r.body, now(), 300),
            Err(sign::VerifyError::Mismatch)
        );
    }
}

#[test]
fn the_receivers_value_is_the_new_value() {
    let (port, _rx) = receiver(Box::new(|_| {
        response(
            "200 OK",
            r#"{"SecretString":"from-the-receiver","Other":1}"#,
        )
    }));
    let url = format!("http://127.0.0.1:{port}/");
    let w = webhook(&[&url]);
    let v = w
        .create_secret(&Host::tagged(&url), &values("old", None))
        .unwrap();
    assert_eq!(v.as_str(), "from-the-receiver");
}

#[test]
fn without_a_value_from_the_receiver_iamd_makes_one_as_the_password_rotator() {
    let (port, _rx) = receiver(Box::new(|_| {
        response("200 OK", r#"{"Message":"generate it"}"#)
    }));
    let url = format!("http://127.0.0.1:{port}/");
    let w = webhook(&[&url]);
    let host = Host::tagged(&url);
    let current = r#"{"username":"app","password":"old-one"}"#;
    let v = w.create_secret(&host, &values(current, None)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"username": "app", "password": GENERATED})
    );
    // A body that is not JSON supplies nothing either.
    let (port, _rx) = receiver(Box::new(|_| response("200 OK", "OK")));
    let url = format!("http://127.0.0.1:{port}/");
    let v = webhook(&[&url])
        .create_secret(&Host::tagged(&url), &values("plain", None))
        .unwrap();
    assert_eq!(v.as_str(), GENERATED);
}

#[test]
fn an_unusable_secret_string_from_the_receiver_fails_create_secret() {
    for (body, why) in [
        (r#"{"SecretString":""}"#.to_owned(), "is empty"),
        (r#"{"SecretString":42}"#.to_owned(), "is not a string"),
        (
            format!(r#"{{"SecretString":"{}"}}"#, "x".repeat(65_537)),
            "is longer than 65536 bytes",
        ),
    ] {
        let (port, _rx) = receiver(Box::new(move |_| response("200 OK", &body)));
        let url = format!("http://127.0.0.1:{port}/");
        let mut c = config(&[&url]);
        c.max_response_bytes = 128 * 1024;
        let err = Webhook::new(c)
            .unwrap()
            .create_secret(&Host::tagged(&url), &values("old", None))
            .unwrap_err();
        assert!(err.message.ends_with(why), "{}", err.message);
    }
}

#[test]
fn a_non_2xx_answer_fails_the_step_without_the_value_or_the_body() {
    for (status, shown) in [
        (
            "500 Internal Server Error",
            "answered HTTP 500 (Internal Server Error)",
        ),
        ("403 Forbidden", "answered HTTP 403 (Forbidden)"),
        (
            "418 I am a leaky teapot",
            "answered HTTP 418 (I'm a teapot)",
        ),
        ("599 Whatever", "answered HTTP 599"),
    ] {
        let (port, _rx) = receiver(Box::new(move |_| {
            response(status, "leaky-body: the password was pending-S3cret-value")
        }));
        let url = format!("http://127.0.0.1:{port}/hook");
        let w = webhook(&[&url]);
        let host = Host::tagged(&url);
        for err in [
            w.set_secret(&host, &values("current-value", Some(PENDING)))
                .unwrap_err(),
            w.test_secret(&host, &values("current-value", Some(PENDING)))
                .unwrap_err(),
            w.create_secret(&host, &values("current-value", None))
                .unwrap_err(),
        ] {
            assert!(err.message.contains(shown), "{}", err.message);
            assert!(err.message.starts_with("webhook "), "{}", err.message);
            assert_no_leak(&err, &[PENDING, "current-value", "leaky", "I am a"]);
        }
    }
}

#[test]
fn redirects_are_not_followed() {
    let (target, count) = counting_listener();
    let (port, _rx) = receiver(Box::new(move |_| {
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{target}/\r\ncontent-length: 0\r\n\r\n"
        )
        .into_bytes()
    }));
    let url = format!("http://127.0.0.1:{port}/");
    // Even with the redirect's target on the allow list.
    let w = webhook(&[&url, &format!("http://127.0.0.1:{target}/")]);
    let err = w
        .test_secret(&Host::tagged(&url), &values("c", Some(PENDING)))
        .unwrap_err();
    assert!(
        err.message
            .ends_with("answered HTTP 307 (Temporary Redirect): redirects are not followed"),
        "{}",
        err.message
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[test]
fn a_receiver_that_does_not_answer_in_time_fails_the_step() {
    let (port, _rx) = receiver(Box::new(|_| {
        std::thread::sleep(Duration::from_secs(3));
        response("200 OK", "")
    }));
    let url = format!("http://127.0.0.1:{port}/");
    let mut c = config(&[&url]);
    c.total_timeout = Duration::from_millis(300);
    let w = Webhook::new(c).unwrap();
    let started = std::time::Instant::now();
    let err = w
        .set_secret(&Host::tagged(&url), &values("c", Some(PENDING)))
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        err.message.ends_with("no answer within 0.3s"),
        "{}",
        err.message
    );
    assert_no_leak(&err, &[PENDING]);
}

#[test]
fn a_refused_connection_fails_the_step() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let err = webhook(&[&url])
        .test_secret(&Host::tagged(&url), &values("c", Some(PENDING)))
        .unwrap_err();
    assert!(
        err.message
            .starts_with(&format!("webhook testSecret to {url}: cannot connect: ")),
        "{}",
        err.message
    );
    assert_no_leak(&err, &[PENDING]);
}

#[test]
fn a_connection_that_does_not_finish_in_time_fails_the_step() {
    // A peer that accepts TCP but never answers the TLS handshake: the connect timeout (TCP and
    // TLS together), not the total one, ends it.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let url = format!("https://127.0.0.1:{port}/");
    let mut c = WebhookConfig::new(vec![url.clone()], Zeroizing::new(KEY.to_vec()));
    c.ca_file = Some(test_ca());
    c.connect_timeout = Duration::from_millis(200);
    let started = std::time::Instant::now();
    let err = Webhook::new(c)
        .unwrap()
        .test_secret(&Host::tagged(&url), &values("c", Some(PENDING)))
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        err.message.ends_with("no connection within 0.2s"),
        "{}",
        err.message
    );
}

#[test]
fn an_oversize_answer_fails_the_step() {
    // Declared by Content-Length.
    let (port, _rx) = receiver(Box::new(|_| response("200 OK", &"x".repeat(64 * 1024 + 1))));
    let url = format!("http://127.0.0.1:{port}/");
    let err = webhook(&[&url])
        .create_secret(&Host::tagged(&url), &values("c", None))
        .unwrap_err();
    assert!(
        err.message
            .ends_with("the answer is larger than 65536 bytes"),
        "{}",
        err.message
    );
    // Chunked, with no length declared: stopped at the cap.
    let (port, _rx) = receiver(Box::new(|_| {
        let mut r = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..20 {
            r.extend_from_slice(format!("1000\r\n{}\r\n", "y".repeat(0x1000)).as_bytes());
        }
        r.extend_from_slice(b"0\r\n\r\n");
        r
    }));
    let url = format!("http://127.0.0.1:{port}/");
    let err = webhook(&[&url])
        .create_secret(&Host::tagged(&url), &values("c", None))
        .unwrap_err();
    assert!(
        err.message
            .ends_with("the answer is larger than 65536 bytes"),
        "{}",
        err.message
    );
}

#[test]
fn a_url_off_the_allow_list_is_refused_before_any_connection() {
    let (port, count) = counting_listener();
    let w = webhook(&[&format!("http://127.0.0.1:{port}/hooks")]);
    for url in [
        format!("http://127.0.0.1:{port}/hooksevil"),
        format!("http://127.0.0.1:{port}/"),
        format!("http://127.0.0.1:{port}/other/hooks"),
        format!("http://localhost:{port}/hooks"),
        format!("http://127.0.0.1:{}/hooks", port.wrapping_add(1)),
        format!("https://127.0.0.1:{port}/hooks"),
    ] {
        let err = w
            .create_secret(&Host::tagged(&url), &values("c", None))
            .unwrap_err();
        assert!(
            err.message
                .ends_with("is not on the server's allow list (--rotation-webhook-allow)"),
            "{url}: {}",
            err.message
        );
    }
    for (url, why) in [
        (format!("http://user:pw@127.0.0.1:{port}/hooks"), "userinfo"),
        (
            format!("http://127.0.0.1:{port}/hooks/../admin"),
            "`..` segment",
        ),
        (
            format!("http://127.0.0.1:{port}/hooks/%2e%2e/admin"),
            "percent-encoded",
        ),
        (
            format!("http://127.0.0.1:{port}/hooks/..;/admin"),
            "`..` segment",
        ),
        (format!("http://127.0.0.1:{port}/hooks#x"), "fragment"),
        (format!("ftp://127.0.0.1:{port}/hooks"), "not https"),
    ] {
        let err = w
            .set_secret(&Host::tagged(&url), &values("c", Some(PENDING)))
            .unwrap_err();
        assert!(
            err.message
                .starts_with("the tag iamd:rotator:webhook-url is not a usable URL")
                && err.message.contains(why),
            "{url}: {}",
            err.message
        );
        assert_no_leak(&err, &["pw", PENDING]);
    }
    // No tag and no default: refused too.
    let err = w
        .test_secret(&Host { tags: vec![] }, &values("c", Some(PENDING)))
        .unwrap_err();
    assert!(
        err.message.contains("has no webhook endpoint"),
        "{}",
        err.message
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 0, "a connection was made");
}

#[test]
fn plain_http_is_refused_outside_dev_and_beyond_loopback() {
    let key = || Zeroizing::new(KEY.to_vec());
    let err = Webhook::new(WebhookConfig::new(
        vec!["http://127.0.0.1:8080/".into()],
        key(),
    ))
    .unwrap_err();
    assert_eq!(
        err.0,
        "--rotation-webhook-allow `http://127.0.0.1:8080/`: http:// is allowed only in --dev mode; use https://"
    );
    let mut c = WebhookConfig::new(vec!["http://hooks.example.com/".into()], key());
    c.dev = true;
    assert!(
        Webhook::new(c)
            .unwrap_err()
            .0
            .contains("http:// is allowed only to 127.0.0.1, localhost or [::1]")
    );
    // Outside dev, a tag naming a plain-HTTP URL is refused before the allow list is read, and
    // before any connection.
    let (port, count) = counting_listener();
    let mut c = WebhookConfig::new(vec!["https://hooks.example.com/".into()], key());
    c.ca_file = Some(test_ca());
    let w = Webhook::new(c).unwrap();
    let err = w
        .create_secret(
            &Host::tagged(&format!("http://127.0.0.1:{port}/")),
            &values("c", None),
        )
        .unwrap_err();
    assert!(
        err.message
            .ends_with("http:// is allowed only in --dev mode; use https://"),
        "{}",
        err.message
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[test]
fn the_default_url_serves_untagged_secrets_and_must_be_allowed() {
    let (port, rx) = receiver(ok_empty());
    let base = format!("http://127.0.0.1:{port}/hooks/");
    let mut c = config(&[&base]);
    c.default_url = Some(format!("{base}default"));
    let w = Webhook::new(c).unwrap();
    w.test_secret(&Host { tags: vec![] }, &values("c", Some(PENDING)))
        .unwrap();
    let r = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        r.head.starts_with("POST /hooks/default HTTP/1.1"),
        "{}",
        r.head
    );

    let mut c = config(&[&base]);
    c.default_url = Some(format!("http://127.0.0.1:{port}/elsewhere"));
    assert_eq!(
        Webhook::new(c).unwrap_err().0,
        format!(
            "--rotation-webhook-url http://127.0.0.1:{port}/elsewhere is not at or below any --rotation-webhook-allow prefix"
        )
    );
}

#[test]
fn configuration_errors() {
    let key = || Zeroizing::new(KEY.to_vec());
    let err = |allow: &[&str], key: Zeroizing<Vec<u8>>| {
        let mut c = WebhookConfig::new(allow.iter().map(|s| (*s).to_owned()).collect(), key);
        c.dev = true;
        Webhook::new(c).unwrap_err().0
    };
    assert!(err(&[], key()).contains("at least one allowed URL prefix"));
    assert!(err(&["http://127.0.0.1/"], Zeroizing::new(vec![7; 31])).contains("at least 32 bytes"));
    assert_eq!(
        err(&["https://hooks.example.com/a?b=c"], key()),
        "--rotation-webhook-allow `https://hooks.example.com/a?b=c`: an allowed prefix is an origin and a path, without a query"
    );
    assert_eq!(
        err(&["not a url"], key()),
        "--rotation-webhook-allow `not a url`: the URL holds a space or a control character"
    );
    assert_eq!(
        err(&["https://u@hooks.example.com/"], key()),
        "--rotation-webhook-allow `https://u@hooks.example.com/`: userinfo (`user@host`) is not allowed"
    );
    let mut c = config(&["https://hooks.example.com/"]);
    c.ca_file = Some("/nonexistent/ca.pem".into());
    assert!(
        Webhook::new(c)
            .unwrap_err()
            .0
            .starts_with("--rotation-webhook-ca-file /nonexistent/ca.pem: ")
    );
    let empty = std::env::temp_dir().join(format!("iamd-webhook-empty-{}.pem", std::process::id()));
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let mut c = config(&["https://hooks.example.com/"]);
    c.ca_file = Some(empty.clone());
    let message = Webhook::new(c).unwrap_err().0;
    std::fs::remove_file(&empty).unwrap();
    assert!(message.ends_with("holds no PEM certificate"), "{message}");
}

#[test]
fn debug_output_never_shows_the_key() {
    let c = config(&["http://127.0.0.1/"]);
    let shown = format!("{c:?}");
    assert!(shown.contains("<redacted>") && !shown.contains("0123456789abcdef"));
    let shown = format!("{:?}", Webhook::new(c).unwrap());
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
}

#[test]
fn urls_are_parsed_strictly_and_normalized() {
    let u = Url::parse("HTTPS://Hooks.Example.COM:443").unwrap();
    assert_eq!(u.to_string(), "https://hooks.example.com/");
    assert_eq!(u.host_header(), "hooks.example.com");
    let u = Url::parse("https://[::1]:8443/a/b?x=1&y=%20").unwrap();
    assert_eq!(u.host, "::1");
    assert_eq!(u.host_header(), "[::1]:8443");
    assert_eq!(u.target(), "/a/b?x=1&y=%20");
    assert_eq!(
        u.to_string(),
        "https://[::1]:8443/a/b",
        "no query in messages"
    );
    assert!(Url::parse("http://127.0.0.1:80/").unwrap().is_loopback());
    assert!(Url::parse("http://LOCALHOST/").unwrap().is_loopback());
    assert!(!Url::parse("http://127.0.0.2/").unwrap().is_loopback());
    for bad in [
        "",
        "hooks.example.com/x",
        "https://",
        "https:///x",
        "https://h:0/",
        "https://h:65536/",
        "https://h:+1/",
        "https://h:/",
        "https://h/a b",
        "https://h/a\\b",
        "https://h/ä",
        "https://bücher.example/",
        "https://h/%zz",
        "https://h/a/./b",
        "https://h/%2F",
        "https://h/%5c",
        "https://h_/",
        "https://-h/",
        "https://h..example/",
        "https://[::1/",
        "https://[::1]x/",
        "https://[1.2.3]/",
        "https://127.1/",
        "https://127.0.0.01/",
        "https://0x7f.0.0.1/",
        "https://2130706433/",
        "https://user@h/",
        "https://h/#f",
    ] {
        assert!(Url::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn prefixes_match_at_segment_boundaries() {
    let p = |s: &str| Url::parse(s).unwrap();
    let under = |url: &str, prefix: &str| p(url).is_under(&p(prefix));
    assert!(under("https://h/hooks", "https://h/hooks"));
    assert!(under("https://h/hooks/a", "https://h/hooks"));
    assert!(under("https://h/hooks/a?q=1", "https://h/hooks/"));
    assert!(under("https://h:443/x", "https://H"));
    assert!(!under("https://h/hooks", "https://h/hooks/"));
    assert!(!under("https://h/hooksevil", "https://h/hooks"));
    assert!(!under("https://h:8443/hooks", "https://h/hooks"));
    assert!(!under("http://h/hooks", "https://h/hooks"));
    assert!(!under("https://h.evil/hooks", "https://h/hooks"));
}

#[test]
fn signatures_are_checked_for_age_and_form() {
    let body = br#"{"Step":"testSecret"}"#;
    let header = sign::header_value(KEY, 1_000_000, body);
    assert!(header.starts_with("t=1000000,v1="));
    assert_eq!(header.len(), "t=1000000,v1=".len() + 64);
    assert_eq!(sign::verify(KEY, &header, body, 1_000_200, 300), Ok(()));
    assert_eq!(
        sign::verify(KEY, &header, body, 1_000_301, 300),
        Err(sign::VerifyError::Stale)
    );
    // A receiver's key rotation: any of several v1 values may match.
    let two = format!("{header},v1={}", "00".repeat(32));
    assert_eq!(sign::verify(KEY, &two, body, 1_000_000, 300), Ok(()));
    for bad in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz", "garbage"] {
        assert_eq!(
            sign::verify(KEY, bad, body, 1, 300),
            Err(sign::VerifyError::Malformed),
            "{bad}"
        );
    }
    // A known vector, for receivers in other languages (docs/rotation-webhook.md):
    // HMAC-SHA256(key="0123456789abcdef0123456789abcdef", "1700000000.{}").
    assert_eq!(
        sign::header_value(b"0123456789abcdef0123456789abcdef", 1_700_000_000, b"{}"),
        "t=1700000000,v1=417adf36b901772f658597a76d329694e335e65fc0849d7715c3ca33406309b5"
    );
}

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/webhook-tls")
        .join(name)
}

fn test_ca() -> PathBuf {
    testdata("ca.pem")
}

/// An HTTPS receiver with the test CA's certificate for localhost and 127.0.0.1.
fn tls_receiver() -> (u16, mpsc::Receiver<Received>) {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(testdata("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(testdata("server.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp): Result<TcpStream, _> = stream else {
                continue;
            };
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let Some(request) = read_request(&mut tls) else {
                continue;
            };
            let _ = tx.send(request);
            let _ = tls.write_all(&response("200 OK", r#"{"SecretString":"over-tls"}"#));
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.conn.complete_io(&mut tls.sock);
        }
    });
    (port, rx)
}

#[test]
fn https_with_the_operators_ca_file() {
    let (port, rx) = tls_receiver();
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("https://{host}:{port}/rotate");
        let mut c = WebhookConfig::new(vec![url.clone()], Zeroizing::new(KEY.to_vec()));
        c.ca_file = Some(test_ca());
        let v = Webhook::new(c)
            .unwrap()
            .create_secret(&Host::tagged(&url), &values("c", None))
            .unwrap();
        assert_eq!(v.as_str(), "over-tls");
        let r = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        sign::verify(
            KEY,
            &r.header("x-iamd-signature").unwrap(),
            &r.body,
            now(),
            300,
        )
        .unwrap();
    }
    // Without the CA file the receiver's certificate is not trusted.
    let url = format!("https://localhost:{port}/rotate");
    let w = Webhook::new(WebhookConfig::new(
        vec![url.clone()],
        Zeroizing::new(KEY.to_vec()),
    ));
    match w {
        // A machine with no system CAs refuses the configuration itself.
        Err(e) => assert!(e.0.contains("no CA certificate to trust"), "{}", e.0),
        Ok(w) => {
            let err = w
                .create_secret(&Host::tagged(&url), &values("c", None))
                .unwrap_err();
            assert!(err.message.contains("TLS: "), "{}", err.message);
            assert!(err.message.contains("UnknownIssuer"), "{}", err.message);
        }
    }
}

#[test]
fn the_rotator_is_found_by_its_function_name() {
    let w = webhook(&["http://127.0.0.1/"]);
    let rotators = crate::Rotators::new(vec![Box::new(crate::PasswordRotator), Box::new(w)]);
    let found = rotators
        .for_lambda_arn("arn:aws:lambda:us-east-1:111122223333:function:iamd-rotator-webhook")
        .unwrap();
    assert_eq!(found.name(), "webhook");
}
