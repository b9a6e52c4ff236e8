//! `starvation explore`: an interactive phase-diagram explorer in the browser.
//!
//! A local web server on 127.0.0.1 serves one page (HTML, JavaScript and CSS compiled into the
//! binary: it works offline) and a small JSON API computed by the engine itself:
//! - `/api/portrait?…`: the response flow's portrait on a (z_x, z_y) slice (arrows, streamlines,
//!   nullclines, the equilibrium and its class), clicked trajectories (adaptive integration),
//!   the paper's gradient-descent run, and the readouts of `starvation equilibrium`;
//! - `/api/diagram?…`: the toy's phase diagram over (s₁/s₂, δ) with a threshold level set;
//! - `/api/spec?…`, `/api/portrait.svg?…`, `/api/portrait.png?…`: the spec reproducing the view
//!   with the CLI, and the portrait drawn from it in the house style;
//! - `/api/check?…`: validation only.
//!
//! The page's state lives in its URL query (see [`query::PARAMETERS`]); every API call takes that
//! query. Work per request is bounded by the limits in [`query`].

pub mod diagram;
pub mod export;
pub mod portrait_view;
pub mod query;
pub mod server;

use std::io::Write;
use std::path::Path;

use crate::error::{Error, InputError};

/// A bound explorer: its address and the state it opens with.
pub struct Explorer {
    listener: std::net::TcpListener,
    limits: server::Limits,
    url: String,
    initial: String,
}

impl Explorer {
    /// Binds 127.0.0.1:`port` (0 picks a free port) with the model of `spec` (its `model`
    /// section) as the opening state, or the paper's toy without a spec. Bad specs and ports
    /// that cannot be bound are input errors, before anything is served.
    pub fn bind(spec: Option<&Path>, port: u16) -> Result<Self, Error> {
        let initial = match spec {
            Some(path) => {
                let spec = crate::spec::read_spec(path)?;
                match &spec.model {
                    Some(model) => query::query_from_model(model)?,
                    None => String::new(),
                }
            }
            None => String::new(),
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
            InputError::new(
                "--port",
                format!("cannot listen on 127.0.0.1:{port}: {e}; choose another port, or 0 for a free one"),
            )
        })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        Ok(Self {
            listener,
            limits: server::Limits::default(),
            url: format!("http://127.0.0.1:{port}/"),
            initial,
        })
    }

    /// The page's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The query string of the opening state.
    pub fn initial_query(&self) -> &str {
        &self.initial
    }

    /// The same explorer with other limits (tests use short time limits).
    pub fn with_limits(mut self, limits: server::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Serves until the process ends.
    pub fn run(self) {
        server::run(self.listener, self.initial, self.limits);
    }
}

/// `starvation explore [--port P] [SPEC]`: binds, prints the URL and serves until interrupted.
pub fn serve(spec: Option<&Path>, port: u16) -> Result<(), Error> {
    let explorer = Explorer::bind(spec, port)?;
    let url = if explorer.initial_query().is_empty() {
        explorer.url().to_string()
    } else {
        format!("{}?{}", explorer.url(), explorer.initial_query())
    };
    println!("starvation explore: serving {url} (Ctrl-C to stop)");
    let _ = std::io::stdout().flush();
    explorer.run();
    Ok(())
}
