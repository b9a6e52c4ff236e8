//! Claim (issue 21, class 1): "The explorer is a local server; treat it as one." Requests whose
//! `Host` is not the address it serves (127.0.0.1, localhost or [::1] with its port) and requests
//! with a foreign `Origin` are refused (403); every request's cost is bounded before work starts
//! (request line and header bytes and count, features checked before a model is built, a time
//! budget, bounded workers and connections, a timeout for slow header senders); a model whose
//! field is not finite is an error, not a 200 with nulls.
#![cfg(feature = "explore")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use starvation::explore::Explorer;
use starvation::explore::server::Limits;

fn start(limits: Limits) -> (String, u16) {
    let e = Explorer::bind(None, 0).unwrap().with_limits(limits);
    let addr = e
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    std::thread::spawn(move || e.run());
    (addr, port)
}

/// Sends `raw` and reads the answer: (status, body).
fn exchange(addr: &str, raw: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // The server may answer (431) and close before the whole request is written.
    let _ = s.write_all(raw);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse(&out)
}

fn parse(out: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(out).to_string();
    let status = text.get(9..12).and_then(|t| t.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|p| p.1.to_string())
        .unwrap_or_default();
    (status, body)
}

fn get(addr: &str, path: &str, headers: &str) -> (u16, String) {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\n{headers}\r\n").as_bytes(),
    )
}

#[test]
fn foreign_hosts_and_origins_are_refused_and_own_ones_served() {
    let (addr, port) = start(Limits::default());
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
    ] {
        for path in ["/", "/api/check?s1=3"] {
            let (status, body) = get(&addr, path, &format!("Host: {host}\r\n"));
            assert_eq!(status, 200, "{host} {path}: {body}");
        }
        let origin = format!("Host: {host}\r\nOrigin: http://{host}\r\n");
        assert_eq!(get(&addr, "/api/check", &origin).0, 200, "{origin}");
    }
    let other = port.wrapping_add(1);
    for host in [
        "evil.example".to_string(),
        "evil.example:80".to_string(),
        format!("evil.example:{port}"),
        format!("127.0.0.1:{other}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        String::new(),
    ] {
        for path in ["/", "/api/portrait", "/api/spec", "/nowhere"] {
            let (status, body) = get(&addr, path, &format!("Host: {host}\r\n"));
            assert_eq!(status, 403, "{host:?} {path}: {body}");
            assert!(body.starts_with("error: Host: "), "{body}");
        }
    }
    // No Host at all (HTTP/1.0 allows it; a browser always sends one).
    let (status, _) = exchange(&addr, b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(status, 403);
    let own = format!("Host: 127.0.0.1:{port}\r\n");
    for origin in [
        "http://evil.example".to_string(),
        format!("http://evil.example:{port}"),
        "null".to_string(),
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{other}"),
        format!("http://127.0.0.1:{port}.evil.example"),
        "file://".to_string(),
    ] {
        let (status, body) = get(&addr, "/api/check", &format!("{own}Origin: {origin}\r\n"));
        assert_eq!(status, 403, "{origin}: {body}");
        assert!(body.starts_with("error: Origin: "), "{body}");
    }
}

#[test]
fn oversized_request_heads_are_refused_before_work() {
    let limits = Limits::default();
    let (addr, port) = start(limits);
    let host = format!("Host: 127.0.0.1:{port}\r\n");
    // A request line longer than the bound.
    let long = format!("/api/check?s1={}", "1".repeat(limits.max_head_bytes));
    let (status, body) = get(&addr, &long, &host);
    assert_eq!(status, 431, "{body}");
    // Many header lines.
    let many: String = (0..limits.max_headers + 1)
        .map(|i| format!("X-{i}: 1\r\n"))
        .collect();
    let (status, body) = get(&addr, "/", &format!("{host}{many}"));
    assert_eq!(status, 431, "{body}");
    // Few but long headers.
    let fat = format!("{host}X-Fat: {}\r\n", "a".repeat(limits.max_head_bytes));
    assert_eq!(get(&addr, "/", &fat).0, 431);
    // Not HTTP.
    assert_eq!(exchange(&addr, b"\x16\x03\x01garbage\r\n\r\n").0, 400);
    // Methods other than GET/HEAD.
    assert_eq!(get(&addr, "/api/check", &host).0, 200);
    let (status, _) = exchange(
        &addr,
        format!("POST /api/check HTTP/1.1\r\n{host}Content-Length: 0\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 405);
}

#[test]
fn slow_header_senders_time_out_and_do_not_block_others() {
    let limits = Limits {
        header_timeout: Duration::from_millis(600),
        connections: 4,
        ..Limits::default()
    };
    let (addr, port) = start(limits);
    // Three clients that send one byte and stall.
    let stalled: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"G").unwrap();
            s
        })
        .collect();
    // A normal request is answered meanwhile.
    let t = Instant::now();
    let (status, _) = get(&addr, "/api/check", &format!("Host: 127.0.0.1:{port}\r\n"));
    assert_eq!(status, 200);
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    // The stalled ones are answered 408 after the header timeout.
    for mut s in stalled {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert_eq!(parse(&out).0, 408, "{}", String::from_utf8_lossy(&out));
    }
    // A client trickling a byte at a time is cut at the same deadline, not per byte.
    let mut s = TcpStream::connect(&addr).unwrap();
    let t = Instant::now();
    for b in b"GET /api/check HTTP/1.1\r\nHost: 127.0.0.1\r\nX: "
        .iter()
        .cycle()
    {
        if s.write_all(&[*b]).is_err() || t.elapsed() > Duration::from_secs(5) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[test]
fn open_connections_beyond_the_bound_are_answered_503() {
    let limits = Limits {
        header_timeout: Duration::from_secs(3),
        connections: 2,
        backlog: 1,
        ..Limits::default()
    };
    let (addr, port) = start(limits);
    // Two connection threads and one backlog slot taken by idle clients.
    let idle: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let (status, body) = get(&addr, "/", &format!("Host: 127.0.0.1:{port}\r\n"));
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("too many open connections"), "{body}");
    drop(idle);
    // Served again once they are gone (the idle ones time out or close).
    let t = Instant::now();
    loop {
        let (status, _) = get(&addr, "/", &format!("Host: 127.0.0.1:{port}\r\n"));
        if status == 200 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "never served again");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn expensive_models_are_refused_before_they_are_built() {
    let (addr, port) = start(Limits::default());
    let host = format!("Host: 127.0.0.1:{port}\r\n");
    let ones = |n: usize| vec!["1"; n].join(",");
    // Every way of giving features: the count is read from the spec, not from a built model.
    for (features, field) in [
        (
            r#"{"random":{"examples":5000,"seed":1,"power_law":{"largest":5,"exponent":1}}}"#
                .to_string(),
            "features.random.examples",
        ),
        (
            format!(
                r#"{{"skew_exponential":{{"strengths":[{}],"delta":0.1,"generator":{{"seed":1}}}}}}"#,
                ones(5000)
            ),
            "features.skew_exponential.strengths",
        ),
        (
            format!(
                r#"{{"rotation":{{"strengths":[{}],"plane":[1,2],"delta":0.1}}}}"#,
                ones(5000)
            ),
            "features.rotation.strengths",
        ),
        (
            format!(
                r#"{{"explicit":{{"strengths":[{}],"coupling":[[1]]}}}}"#,
                ones(100)
            ),
            "features.explicit.strengths",
        ),
        (
            format!(
                r#"{{"tangent":{{"phi":[{}],"labels":[1]}}}}"#,
                vec!["[1]"; 100].join(",")
            ),
            "features.tangent.phi",
        ),
    ] {
        let t = Instant::now();
        let query = format!("features={}", urlencode(&features));
        let (status, body) = get(&addr, &format!("/api/portrait?{query}"), &host);
        assert_eq!(status, 400, "{field}: {body}");
        assert!(body.starts_with(&format!("error: {field}: ")), "{body}");
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{field}: {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn a_computation_over_the_budget_is_answered_503_and_the_server_goes_on() {
    let limits = Limits {
        budget: Duration::from_millis(1),
        workers: 1,
        queued: 1,
        ..Limits::default()
    };
    let (addr, port) = start(limits);
    let host = format!("Host: 127.0.0.1:{port}\r\n");
    // A general-model diagram (many equilibrium solves) takes far more than 1 ms.
    let (status, body) = get(&addr, "/api/diagram?cells=120&loss=quadratic", &host);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("budget"), "{body}");
    // Assets are not computations: still served at once.
    assert_eq!(get(&addr, "/", &host).0, 200);
}

#[test]
fn a_field_that_is_not_finite_is_an_error_not_nulls() {
    let (addr, port) = start(Limits::default());
    let host = format!("Host: 127.0.0.1:{port}\r\n");
    for query in ["s1=1e200&s2=1e200", "s1=1e160&s2=2&loss=exponential_tail"] {
        let (status, body) = get(&addr, &format!("/api/portrait?{query}"), &host);
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body.contains("not finite"), "{body}");
        assert!(!body.contains("null"), "{body}");
    }
    // An ordinary model has a finite field everywhere.
    let (status, body) = get(&addr, "/api/portrait?s1=6&s2=2", &host);
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains("\"u\":[null") && !body.contains(",null"),
        "{body}"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
