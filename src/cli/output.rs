//! Output conventions shared by the subcommands: output formats, colour and width.

use std::io::IsTerminal;

use clap::ValueEnum;
use vigil::diagnostic::RenderConfig;

/// How a subcommand prints its results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Rendered for people: source lines, underlines and advice.
    Human,
    /// One JSON document, for programs.
    Json,
}

/// Colour and width for human output on standard output: colour only on a terminal and only
/// when `NO_COLOR` is unset (https://no-color.org); width from `COLUMNS`, else 100.
pub fn stdout_render_config() -> RenderConfig {
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty());
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &usize| w >= 40)
        .unwrap_or(100);
    RenderConfig { color, width }
}

/// Colour and width for human output on standard error, by the same rules as standard output.
pub fn stderr_render_config() -> RenderConfig {
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty());
    RenderConfig {
        color,
        ..stdout_render_config()
    }
}
