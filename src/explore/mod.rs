//! `starvation explore`: an interactive phase-diagram explorer in the browser.
//!
//! A local web server on 127.0.0.1 serves one page (HTML, JavaScript and CSS compiled into the
//! binary: it works offline) and a small JSON API computed by the engine itself:
//! - `/api/portrait?…`: the response flow's portrait on a (z_x, z_y) slice (arrows, streamlines,
//!   nullclines, the equilibrium and its class), clicked trajectories (adaptive integration),
//!   the paper's gradient-descent run, and the readouts of `starvation equilibrium`;
//! - `/api/diagram?…`: the toy's phase diagram over (s₁/s₂, δ) with a threshold level set;
//! - `/api/orbit?…`: the orbit diagram of the training map (gd, heavy ball) against the step h,
//!   with the predicted flip h*;
//! - `/api/spec?…`, `/api/portrait.svg?…`, `/api/portrait.png?…`: the spec reproducing the view
//!   with the CLI, and the portrait drawn from it in the house style;
//! - `/api/view.png?…`, `/api/view.svg?…`: the whole view as one figure (portrait with the
//!   eigenvectors at z*, phase diagram, time series, orbit diagram), as `--screenshot` writes it;
//! - `/api/bisect?…&bisect=FIELD`: a threshold located along one field to a typed precision
//!   (the sweep's threshold machinery; see [`bisect_view`]);
//! - `/api/check?…`: validation only;
//! - `/api/experiment`, `/api/experiment.png`: an experiment spec's training status and its
//!   figure (two-moons panels), trained in the background (see [`experiment_view`]).
//!
//! The page's state lives in its URL query (see [`query::PARAMETERS`]); every API call takes that
//! query. Work per request is bounded by the limits in [`query`].

pub mod bisect_view;
pub mod diagram;
pub mod experiment_view;
pub mod export;
pub mod orbit_view;
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
    experiment: Option<std::sync::Arc<experiment_view::ExperimentState>>,
    pending: Option<(crate::spec::Spec, crate::spec::ExperimentPlan)>,
}

impl Explorer {
    /// Binds 127.0.0.1:`port` (0 picks a free port) with the model of `spec` (its `model`
    /// section) as the opening state, or the paper's toy without a spec. Bad specs and ports
    /// that cannot be bound are input errors, before anything is served.
    pub fn bind(spec: Option<&Path>, port: u16) -> Result<Self, Error> {
        Self::bind_with(spec, None, port)
    }

    /// [`Explorer::bind`] with an opening query (`--query`) whose parameters replace the spec's.
    pub fn bind_with(spec: Option<&Path>, extra: Option<&str>, port: u16) -> Result<Self, Error> {
        let initial = initial_query(spec, extra)?;
        // An experiment spec: its plan checked now (bad input before serving), trained once the
        // server runs.
        let pending = match spec {
            Some(path) => {
                let parsed = crate::spec::read_spec(path)?;
                match parsed.experiment.is_some() {
                    true => {
                        let plan = crate::tasks::experiment_plan(&parsed)?;
                        Some((parsed, plan))
                    }
                    false => None,
                }
            }
            None => None,
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
            experiment: None,
            pending,
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

    /// Serves until the process ends (training an experiment spec's networks meanwhile).
    pub fn run(mut self) {
        if let Some((spec, plan)) = self.pending.take() {
            self.experiment = Some(experiment_view::ExperimentState::start(spec, plan));
        }
        server::run(self.listener, self.initial, self.limits, self.experiment);
    }
}

/// The opening state's query: the spec's `model` section as query parameters, then those of
/// `extra` (a query, or a whole explorer URL), which replace the spec's; checked like every
/// request.
pub fn initial_query(spec: Option<&Path>, extra: Option<&str>) -> Result<String, Error> {
    let base = match spec {
        Some(path) => {
            let spec = crate::spec::read_spec(path)?;
            match &spec.model {
                Some(model) => query::query_from_model(model)?,
                None => String::new(),
            }
        }
        None => String::new(),
    };
    let Some(extra) = extra else {
        return Ok(base);
    };
    let extra = extra.split_once('?').map_or(extra, |(_, q)| q);
    let extra = extra.split('#').next().unwrap_or("");
    let key = |part: &str| part.split('=').next().unwrap_or("").to_string();
    let given: Vec<String> = extra
        .split('&')
        .filter(|p| !p.is_empty())
        .map(key)
        .collect();
    // The toy's numbers and a features section exclude each other: --query's choice wins.
    let toy = ["s1", "s2", "delta"];
    let replaced = |k: &str| {
        given.iter().any(|g| g == k)
            || (k == "features" && given.iter().any(|g| toy.contains(&g.as_str())))
            || (toy.contains(&k) && given.iter().any(|g| g == "features"))
    };
    let merged: Vec<&str> = base
        .split('&')
        .filter(|p| !p.is_empty() && !replaced(&key(p)))
        .chain(extra.split('&').filter(|p| !p.is_empty()))
        .collect();
    let merged = merged.join("&");
    query::parse_view(&merged)?;
    Ok(merged)
}

/// `starvation explore [SPEC] [--query Q] --screenshot FILE`: the whole view rendered by the
/// server-side renderer as one figure laid out like the page ([`export::whole_view_figure`]:
/// portrait with eigenvectors, phase diagram, time series, orbit diagram; the bytes of
/// `/api/view.png` / `.svg`), as the bytes of FILE's format (`.png` or `.svg`), without serving
/// or a browser; the caller writes them. Bad input (the extension,
/// a missing folder, the spec, the query) is refused before anything is computed.
pub fn screenshot(spec: Option<&Path>, extra: Option<&str>, file: &Path) -> Result<Vec<u8>, Error> {
    let format = match file.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => crate::plot::ImageFormat::Png,
        Some(e) if e.eq_ignore_ascii_case("svg") => crate::plot::ImageFormat::Svg,
        _ => {
            return Err(InputError::new(
                "--screenshot",
                format!("{}: must end in .png or .svg", file.display()),
            )
            .into());
        }
    };
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(InputError::new(
            "--screenshot",
            format!("folder {} does not exist; create it first", dir.display()),
        )
        .into());
    }
    let view = query::parse_view(&initial_query(spec, extra)?)?;
    export::whole_view_image(&view, format)
}

/// `starvation explore [--port P] [--query Q] [SPEC]`: binds, prints the URL and serves until
/// interrupted.
pub fn serve(spec: Option<&Path>, extra: Option<&str>, port: u16) -> Result<(), Error> {
    let explorer = Explorer::bind_with(spec, extra, port)?;
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
