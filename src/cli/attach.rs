//! `gwtui attach http://HOST:PORT` (or `https://HOST:PORT [--ca-cert FILE]`): the console
//! against a running gwtui (`gwtui serve`, or another console's engine), through its
//! management API and event stream.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use super::Settings;
use crate::auth::credentials::Credentials;
use crate::tui::remote::RemoteBackend;

/// Attaches and runs the console. The server is probed (is it gwtui, are the credentials
/// accepted) before the terminal is taken, so a refusal is a plain message on stderr.
pub async fn attach(
    s: Settings,
    url: &str,
    ca_cert: Option<&std::path::Path>,
    theme: Option<String>,
    readonly: bool,
    parse_check: fn(&str) -> Option<(usize, usize, String)>,
) -> anyhow::Result<ExitCode> {
    let credentials = s
        .config
        .server
        .admin_credentials
        .as_deref()
        .map(Credentials::parse)
        .transpose()
        .context("--admin-credentials must be ACCESS_KEY:SECRET[:SESSION_TOKEN]")?;
    let traffic = Arc::new(crate::loadgen::Traffic::default());
    let ca = ca_cert
        .map(crate::tui::remote::ca_certificates)
        .transpose()
        .context("cannot attach")?;
    let backend = RemoteBackend::connect_with(url, credentials, traffic.clone(), ca)
        .await
        .context("cannot attach")?;
    let opts = crate::tui::ConsoleOptions {
        readonly: readonly || s.config.console.readonly.unwrap_or(false),
        theme: theme.or(s.config.console.theme.clone()),
        config_file: Some(s.paths.config_file.clone()),
        theme_dir: Some(s.paths.config_dir.join("themes")),
        parse_check: Some(parse_check),
    };
    let result = crate::tui::run(backend, opts).await;
    traffic.stop_all();
    result.map(|_| ExitCode::SUCCESS)
}
