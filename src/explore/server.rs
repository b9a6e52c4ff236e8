//! The HTTP side: routes, responses and the worker threads. Every request is a GET; the page and
//! its assets are compiled into the binary; the API answers JSON, the spec download or an image.
//! A bad request gets status 400 with the CLI's one-line message (`field: message`) as text; a
//! numerical failure 422; a panic in a handler 500, and the server keeps serving.
//!
//! The explorer is a local server that any web page the user visits can try to reach, so every
//! request is checked before work starts (see [`Limits`]): its `Host` must be the address served
//! (127.0.0.1, localhost or `[::1]` with the port) and its `Origin`, when sent, the same (DNS
//! rebinding); the request line and headers are bounded in bytes and count and must arrive
//! within a time limit; connections are served by a fixed pool of threads (more are refused with
//! 503), computations by a fixed pool of workers behind a bounded queue, and a computation that
//! exceeds the time budget is answered with 503. The request head is parsed by `httparse` (the
//! parser of `hyper`); the connection handling is the std library's blocking sockets.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::bisect_view::bisect_data;
use super::diagram::diagram_data;
use super::experiment_view::ExperimentState;
use super::export::{SPEC_NAME, view_figure, view_spec, whole_view_image};
use super::orbit_view::orbit_data;
use super::portrait_view::portrait_data;
use super::query::parse_view;
use crate::error::Error;
use crate::plot::ImageFormat;

/// The page.
const INDEX_HTML: &str = include_str!("assets/index.html");
/// Its script (plain JavaScript, canvas drawing, no libraries).
const APP_JS: &str = include_str!("assets/app.js");
/// Its style sheet.
const STYLE_CSS: &str = include_str!("assets/style.css");

/// Number of threads computing answers (a slow request does not block the page's assets).
pub const WORKERS: usize = 4;

/// Stack of a connection thread (the answer is computed on a worker, not here).
const CONNECTION_STACK: usize = 256 * 1024;

/// What one request may cost the server; every bound is checked before work starts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes of the request line and headers together (the longest query,
    /// [`super::query::MAX_QUERY`], plus 16 KiB of headers).
    pub max_head_bytes: usize,
    /// Most header lines.
    pub max_headers: usize,
    /// Time a client has to send its request line and headers.
    pub header_timeout: Duration,
    /// Time a computation may take before the request is answered with 503.
    pub budget: Duration,
    /// Threads computing answers.
    pub workers: usize,
    /// Computations waiting for a worker; more are answered with 503 at once.
    pub queued: usize,
    /// Connections served at once (threads reading requests and writing answers).
    pub connections: usize,
    /// Connections accepted and waiting for a connection thread; more are answered 503.
    pub backlog: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_head_bytes: super::query::MAX_QUERY + 16 * 1024,
            max_headers: 48,
            header_timeout: Duration::from_secs(5),
            budget: Duration::from_secs(30),
            workers: WORKERS,
            queued: 2 * WORKERS,
            connections: 128,
            backlog: 128,
        }
    }
}

/// A reply: status, content type, body and an optional download file name.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content-Type.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
    /// File name for Content-Disposition: attachment.
    pub download: Option<String>,
}

impl Reply {
    fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            content_type,
            body: body.into(),
            download: None,
        }
    }

    fn json<T: Serialize>(value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::ok("application/json", body),
            Err(e) => Self::text(500, format!("error: serialisation failed: {e}")),
        }
    }

    fn text(status: u16, message: String) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: message.into_bytes(),
            download: None,
        }
    }

    fn error(e: Error) -> Self {
        match e {
            Error::Input(i) => Self::text(400, format!("error: {i}")),
            other => Self::text(422, format!("error: {other}")),
        }
    }

    fn busy(message: &str) -> Self {
        Self::text(503, format!("error: {message}; try again in a moment"))
    }

    fn attachment(mut self, name: String) -> Self {
        self.download = Some(name);
        self
    }
}

/// The answer to `GET path?query` (`initial` is the query of the state the server started with).
pub fn route(path: &str, query: &str, initial: &str) -> Reply {
    let outcome = catch_unwind(AssertUnwindSafe(|| answer(path, query, initial)));
    outcome.unwrap_or_else(|_| {
        Reply::text(
            500,
            "error: internal failure while answering this request (a bug: please report the URL)"
                .into(),
        )
    })
}

fn answer(path: &str, query: &str, initial: &str) -> Reply {
    let view = || parse_view(query).map_err(Error::from);
    match path {
        "/" | "/index.html" => Reply::ok("text/html; charset=utf-8", INDEX_HTML),
        "/app.js" => Reply::ok("text/javascript; charset=utf-8", APP_JS),
        "/style.css" => Reply::ok("text/css; charset=utf-8", STYLE_CSS),
        "/api/initial" => Reply::json(&serde_json::json!({ "query": initial })),
        "/api/check" => match view() {
            Ok(_) => Reply::json(&serde_json::json!({ "ok": true })),
            Err(e) => Reply::error(e),
        },
        "/api/portrait" => match view().and_then(|v| portrait_data(&v)) {
            Ok(d) => Reply::json(&d),
            Err(e) => Reply::error(e),
        },
        "/api/diagram" => match view().and_then(|v| diagram_data(&v)) {
            Ok(d) => Reply::json(&d),
            Err(e) => Reply::error(e),
        },
        "/api/bisect" => match view().and_then(|v| bisect_data(&v)) {
            Ok(d) => Reply::json(&d),
            Err(e) => Reply::error(e),
        },
        "/api/orbit" => match view().and_then(|v| orbit_data(&v)) {
            Ok(d) => Reply::json(&d),
            Err(e) => Reply::error(e),
        },
        "/api/spec" => match view() {
            Ok(v) => {
                let mut text = serde_json::to_string_pretty(&view_spec(&v)).unwrap_or_default();
                text.push('\n');
                Reply::ok("application/json", text).attachment(format!("{SPEC_NAME}.json"))
            }
            Err(e) => Reply::error(e),
        },
        "/api/portrait.svg" => match view().and_then(|v| view_figure(&v, ImageFormat::Svg)) {
            Ok(b) => Reply::ok("image/svg+xml", b).attachment(format!("{SPEC_NAME}.svg")),
            Err(e) => Reply::error(e),
        },
        "/api/portrait.png" => match view().and_then(|v| view_figure(&v, ImageFormat::Png)) {
            Ok(b) => Reply::ok("image/png", b).attachment(format!("{SPEC_NAME}.png")),
            Err(e) => Reply::error(e),
        },
        "/api/view.png" => match view().and_then(|v| whole_view_image(&v, ImageFormat::Png)) {
            Ok(b) => Reply::ok("image/png", b).attachment("explore_view_whole.png".into()),
            Err(e) => Reply::error(e),
        },
        "/api/view.svg" => match view().and_then(|v| whole_view_image(&v, ImageFormat::Svg)) {
            Ok(b) => Reply::ok("image/svg+xml", b).attachment("explore_view_whole.svg".into()),
            Err(e) => Reply::error(e),
        },
        _ => Reply::text(404, format!("error: {path}: no such page; open /")),
    }
}

/// A request head as the limits allow: method, target, headers (names lower-case).
struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads and parses the request head within `limits` (size, header count, time): the reply to
/// send instead when the client breaks one of them.
fn read_head(stream: &mut TcpStream, limits: &Limits) -> Result<Head, Reply> {
    let deadline = Instant::now() + limits.header_timeout;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                return Ok(Head {
                    method: request.method.unwrap_or("").to_string(),
                    target: request.path.unwrap_or("").to_string(),
                    headers: request
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_ascii_lowercase(),
                                String::from_utf8_lossy(h.value).trim().to_string(),
                            )
                        })
                        .collect(),
                });
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => {
                return Err(Reply::text(
                    431,
                    format!(
                        "error: request: more than {} header lines; send fewer headers",
                        limits.max_headers
                    ),
                ));
            }
            Err(e) => {
                return Err(Reply::text(
                    400,
                    format!("error: request: not a valid HTTP request ({e})"),
                ));
            }
        }
        if buf.len() >= limits.max_head_bytes {
            return Err(Reply::text(
                431,
                format!(
                    "error: request: the request line and headers exceed {} bytes; use a shorter query or a spec file",
                    limits.max_head_bytes
                ),
            ));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(Reply::text(
                408,
                "error: request: the headers did not arrive in time".into(),
            ));
        }
        let want = chunk.len().min(limits.max_head_bytes - buf.len());
        match stream.read(&mut chunk[..want]) {
            Ok(0) => return Err(Reply::text(400, "error: request: incomplete".into())),
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Reply::text(
                    408,
                    "error: request: the headers did not arrive in time".into(),
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(Reply::text(400, "error: request: connection failed".into())),
        }
    }
}

/// Whether `host` (a `Host` header value, or an origin's host) names the address served:
/// 127.0.0.1, localhost or `[::1]`, with the port.
pub fn is_own_host(host: &str, port: u16) -> bool {
    let host = host.to_ascii_lowercase();
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == format!("{name}:{port}"))
}

/// Refuses a request whose `Host` is not the address served or whose `Origin` is foreign
/// (a page of another site, or one reached by DNS rebinding): 403.
fn check_origin(head: &Head, port: u16) -> Result<(), Reply> {
    match head.header("host") {
        Some(host) if is_own_host(host, port) => {}
        Some(host) => {
            return Err(Reply::text(
                403,
                format!(
                    "error: Host: {host:?} is not this explorer; open http://127.0.0.1:{port}/"
                ),
            ));
        }
        None => {
            return Err(Reply::text(
                403,
                format!("error: Host: missing; open http://127.0.0.1:{port}/"),
            ));
        }
    }
    if let Some(origin) = head.header("origin") {
        let own = origin
            .strip_prefix("http://")
            .is_some_and(|h| is_own_host(h, port));
        if !own {
            return Err(Reply::text(
                403,
                format!(
                    "error: Origin: {origin:?} is another site; the explorer answers its own page only"
                ),
            ));
        }
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

/// Writes `reply` and closes the connection (one request per connection).
fn write_reply(stream: TcpStream, reply: Reply, head_only: bool) {
    send(stream, reply, head_only, true);
}

/// Writes `reply`; with `drain`, reads (boundedly) what the client still sends before closing,
/// so that the close does not reset the answer away.
fn send(mut stream: TcpStream, reply: Reply, head_only: bool, drain: bool) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(if drain { 10 } else { 1 })));
    let mut text = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        reply.status,
        reason(reply.status),
        reply.content_type,
        reply.body.len()
    );
    if let Some(name) = &reply.download {
        text.push_str(&format!(
            "Content-Disposition: attachment; filename=\"{name}\"\r\n"
        ));
    }
    text.push_str("\r\n");
    // The client may have gone away; nothing to do then.
    let _ = stream.write_all(text.as_bytes());
    if !head_only {
        let _ = stream.write_all(&reply.body);
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    if !drain {
        return;
    }
    // Drain what the client still sends (bounded), so that closing does not reset the answer.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// Whether `path` is a compiled-in asset (answered without a worker).
fn is_asset(path: &str) -> bool {
    matches!(
        path,
        "/" | "/index.html" | "/app.js" | "/style.css" | "/api/initial"
    )
}

/// A computation for a worker: path, query and where to send the reply.
type Job = (String, String, SyncSender<Reply>);

/// The shared state of one server.
struct Shared {
    limits: Limits,
    port: u16,
    initial: String,
    jobs: SyncSender<Job>,
    experiment: Option<Arc<ExperimentState>>,
}

/// `/api/experiment` (status JSON) and `/api/experiment.png` (the figure once trained).
fn experiment_reply(path: &str, experiment: Option<&ExperimentState>) -> Reply {
    let Some(e) = experiment else {
        return Reply::json(&serde_json::json!({ "state": "none" }));
    };
    match path {
        "/api/experiment.png" => match e.png() {
            Some(png) => Reply::ok("image/png", png),
            None => Reply::text(
                409,
                "error: experiment: not trained yet; poll /api/experiment until its state is ready"
                    .into(),
            ),
        },
        _ => Reply::json(&e.status()),
    }
}

/// Serves one connection: head within the limits, Host and Origin, then the route (assets at
/// once, computations through the worker queue within the time budget).
fn serve_connection(mut stream: TcpStream, shared: &Shared) {
    let head = match read_head(&mut stream, &shared.limits) {
        Ok(h) => h,
        Err(reply) => return write_reply(stream, reply, false),
    };
    let head_only = head.method == "HEAD";
    if let Err(reply) = check_origin(&head, shared.port) {
        return write_reply(stream, reply, head_only);
    }
    if head.method != "GET" && head.method != "HEAD" {
        let reply = Reply::text(
            405,
            format!(
                "error: {}: only GET is served; open the page in a browser",
                head.method
            ),
        );
        return write_reply(stream, reply, false);
    }
    let (path, query) = head
        .target
        .split_once('?')
        .unwrap_or((head.target.as_str(), ""));
    if is_asset(path) {
        let reply = route(path, query, &shared.initial);
        return write_reply(stream, reply, head_only);
    }
    if path == "/api/experiment" || path == "/api/experiment.png" {
        let reply = experiment_reply(path, shared.experiment.as_deref());
        return write_reply(stream, reply, head_only);
    }
    let (tx, rx) = sync_channel(1);
    let reply = match shared.jobs.try_send((path.to_string(), query.to_string(), tx)) {
        Ok(()) => rx.recv_timeout(shared.limits.budget).unwrap_or_else(|_| {
            Reply::busy(&format!(
                "request: the computation took longer than the explorer's budget of {} s; ask for fewer cells, arrows or trajectories",
                shared.limits.budget.as_secs()
            ))
        }),
        Err(TrySendError::Full(_)) => {
            Reply::busy("request: every worker is busy and the queue is full")
        }
        Err(TrySendError::Disconnected(_)) => Reply::busy("request: the workers have stopped"),
    };
    write_reply(stream, reply, head_only);
}

fn worker(jobs: Arc<Mutex<Receiver<Job>>>, initial: Arc<String>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((path, query, reply_to)) = job else {
            return;
        };
        // The requester may have given up (budget exceeded); the reply is then dropped.
        let _ = reply_to.send(route(&path, &query, &initial));
    }
}

/// Answers requests on `listener` within `limits` until the process ends.
pub fn run(
    listener: TcpListener,
    initial: String,
    limits: Limits,
    experiment: Option<Arc<ExperimentState>>,
) {
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let initial = Arc::new(initial);
    let (job_tx, job_rx) = sync_channel::<Job>(limits.queued);
    let job_rx = Arc::new(Mutex::new(job_rx));
    for _ in 0..limits.workers.max(1) {
        let jobs = Arc::clone(&job_rx);
        let initial = Arc::clone(&initial);
        std::thread::spawn(move || worker(jobs, initial));
    }
    let shared = Arc::new(Shared {
        limits,
        port,
        initial: initial.to_string(),
        jobs: job_tx,
        experiment,
    });
    // Connections open (being served or waiting for a connection thread).
    let open = Arc::new(AtomicUsize::new(0));
    let most_open = limits.connections.max(1) + limits.backlog;
    let (conn_tx, conn_rx) = sync_channel::<TcpStream>(most_open);
    let conn_rx = Arc::new(Mutex::new(conn_rx));
    for _ in 0..limits.connections.max(1) {
        let conns = Arc::clone(&conn_rx);
        let shared = Arc::clone(&shared);
        let open = Arc::clone(&open);
        // Connection threads mostly wait on sockets and parse a bounded head: a small stack.
        let spawned = std::thread::Builder::new()
            .name("explore-connection".into())
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                loop {
                    let next = match conns.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(stream) = next else { return };
                    serve_connection(stream, &shared);
                    open.fetch_sub(1, Ordering::AcqRel);
                }
            });
        if spawned.is_err() {
            break;
        }
    }
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if open.fetch_add(1, Ordering::AcqRel) >= most_open {
            open.fetch_sub(1, Ordering::AcqRel);
            let reply = Reply::busy("server: too many open connections");
            send(stream, reply, false, false);
            continue;
        }
        if let Err(TrySendError::Full(stream) | TrySendError::Disconnected(stream)) =
            conn_tx.try_send(stream)
        {
            open.fetch_sub(1, Ordering::AcqRel);
            send(
                stream,
                Reply::busy("server: too many open connections"),
                false,
                false,
            );
        }
    }
}
