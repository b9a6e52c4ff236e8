//! The HTTP side: routes, responses and the worker threads. Every request is a GET; the page and
//! its assets are compiled into the binary; the API answers JSON, the spec download or an image.
//! A bad request gets status 400 with the CLI's one-line message (`field: message`) as text; a
//! numerical failure 422; a panic in a handler 500, and the server keeps serving.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde::Serialize;
use tiny_http::{Header, Request, Response, Server};

use super::diagram::diagram_data;
use super::export::{SPEC_NAME, view_figure, view_spec};
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

/// Number of threads answering requests (a slow request does not block the others).
pub const WORKERS: usize = 4;

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
        _ => Reply::text(404, format!("error: {path}: no such page; open /")),
    }
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn respond(request: Request, initial: &str) {
    let reply = if *request.method() != tiny_http::Method::Get
        && *request.method() != tiny_http::Method::Head
    {
        Reply::text(
            405,
            format!(
                "error: {}: only GET is served; open the page in a browser",
                request.method()
            ),
        )
    } else {
        let url = request.url().to_string();
        let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
        route(path, query, initial)
    };
    let mut response = Response::from_data(reply.body).with_status_code(reply.status);
    let mut headers = vec![
        header("Content-Type", reply.content_type),
        header("Cache-Control", "no-store"),
        header("X-Content-Type-Options", "nosniff"),
    ];
    if let Some(name) = reply.download {
        headers.push(header(
            "Content-Disposition",
            &format!("attachment; filename=\"{name}\""),
        ));
    }
    for h in headers.into_iter().flatten() {
        response.add_header(h);
    }
    // The client may have gone away; nothing to do then.
    let _ = request.respond(response);
}

/// Answers requests on `WORKERS` threads until the process ends.
pub fn run(server: Server, initial: String) {
    let server = Arc::new(server);
    let initial = Arc::new(initial);
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let server = Arc::clone(&server);
            let initial = Arc::clone(&initial);
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    respond(request, &initial);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
}
