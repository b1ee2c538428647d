//! Terminal manners through a real pseudo-terminal: no colour where the
//! terminal has none or the person said so, Ctrl+Z and `fg` under a shell
//! with job control, and the mouse.

use crate::util::{Pty, Sandbox};

const SPONSOR: &str = "a.kowalski@northwind.example.com";

/// The parameters of the SGR sequences in `raw` that set a colour
/// (foreground, background, 8, 16, 256 or RGB): "1;31" for `ESC[1;31m`.
/// Resets to the default colour are not colour.
fn colour_sequences(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut found = Vec::new();
    for (at, _) in text.match_indices("\x1b[") {
        let rest = &text[at + 2..];
        let Some(end) = rest.find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':')) else {
            continue;
        };
        if !rest[end..].starts_with('m') {
            continue;
        }
        let colour = rest[..end]
            .split([';', ':'])
            .filter_map(|p| p.parse::<u16>().ok())
            .any(|p| matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107));
        if colour {
            found.push(rest[..end].to_string());
        }
    }
    found
}

/// The console on the sample, the first frame drawn down to its status
/// line and the detail, then quit; everything it wrote.
fn first_frame(env: &[(&str, &str)]) -> Vec<u8> {
    let sandbox = Sandbox::with_campaign();
    let mut tui = Pty::spawn_with(&sandbox, &["review", "Q4", "--as", SPONSOR], 100, 30, env);
    tui.wait_for_all(&["Queue", "0/30 decided", "Recommendation"]);
    tui.send("?");
    tui.wait_for("Keys");
    tui.send("q");
    tui.send("q");
    assert!(tui.wait_exit());
    tui.raw().to_vec()
}

#[test]
fn no_colour_escape_sequences_with_no_color_or_a_terminal_without_colour() {
    let coloured = first_frame(&[]);
    let colours = colour_sequences(&coloured);
    assert!(
        !colours.is_empty(),
        "a colour terminal gets colour (else this test proves nothing)"
    );
    // Bright black (grey) vanishes on dark themes: no text is drawn in it.
    let grey = |s: &&String| {
        let params: Vec<&str> = s.split([';', ':']).collect();
        params.contains(&"90") || params.windows(3).any(|w| w == ["38", "5", "8"])
    };
    let greys: Vec<_> = colours.iter().filter(grey).collect();
    assert!(greys.is_empty(), "{greys:?}");
    for env in [
        &[("NO_COLOR", "1")][..],
        &[("TERM", "xterm-mono")][..],
        &[("TERM", "dumb")][..],
    ] {
        let raw = first_frame(env);
        let found = colour_sequences(&raw);
        assert!(found.is_empty(), "{env:?}: {found:?}");
    }
}

#[test]
fn the_colour_scanner_tells_colour_from_attributes_and_resets() {
    assert!(colour_sequences(b"\x1b[1m\x1b[7m\x1b[0m\x1b[39m\x1b[49mtext").is_empty());
    assert_eq!(colour_sequences(b"\x1b[31mred"), ["31"]);
    assert_eq!(colour_sequences(b"\x1b[1;38;5;8mgrey").len(), 1);
    assert_eq!(colour_sequences(b"\x1b[90mbright black").len(), 1);
}

/// Ctrl+Z gives the shell its terminal back and `fg` brings the console
/// back, redrawn, where it was. A shell with job control is needed: a
/// process group no shell controls ignores the stop.
#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_restores_the_console() {
    let sandbox = Sandbox::with_campaign();
    let recert = sandbox.std_cmd(&[]);
    let mut shell = std::process::Command::new("bash");
    shell
        .args(["--norc", "--noprofile", "-i"])
        .env_clear()
        .envs(recert.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("TERM", "xterm-256color")
        .env("PS1", "shell$ ")
        .current_dir(sandbox.dir.path());
    let mut tui = Pty::spawn_command(shell, 100, 30);
    tui.wait_for("shell$");
    let program = recert.get_program().to_string_lossy().into_owned();
    tui.send(&format!("'{program}' review Q4 --as {SPONSOR}\r"));
    tui.wait_for_all(&["Queue", "0/30 decided"]);
    tui.send("j");
    tui.wait_for(" 2 of 21 ");
    tui.send("\x1a");
    let screen = tui.wait_for("Stopped");
    assert!(
        !screen.contains("0/30 decided"),
        "the shell's screen: {screen}"
    );
    tui.send("echo still here\r");
    tui.wait_for("still here");
    tui.send("fg\r");
    let screen = tui.wait_for_all(&["Queue", "0/30 decided", " 2 of 21 "]);
    assert!(!screen.contains("still here"), "redrawn whole: {screen}");
    tui.send("r");
    tui.wait_for("Note required");
    tui.send("\x1b");
    tui.wait_for("cancelled");
    tui.send("q");
    tui.wait_for("shell$");
    tui.send("exit\r");
}

/// The wheel moves the selection (the terminal reports it as SGR mouse
/// sequences once the console asked for the mouse); `mouse = false` in
/// the config leaves the mouse to the terminal.
#[test]
fn the_wheel_scrolls_the_queue_unless_the_config_turns_the_mouse_off() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = Pty::spawn(&sandbox, &["review", "Q4", "--as", SPONSOR], 100, 30);
    tui.wait_for_all(&["Queue", " 1 of 21 "]);
    assert!(
        tui.raw().windows(8).any(|w| w == b"\x1b[?1000h"),
        "the console asks for the mouse"
    );
    // Wheel down twice at column 10, row 5 (SGR encoding: 65 is wheel down).
    tui.send("\x1b[<65;10;5M\x1b[<65;10;5M");
    tui.wait_for(" 3 of 21 ");
    // A left click on the first item row (the fifth line) selects it.
    tui.send("\x1b[<0;10;5M\x1b[<0;10;5m");
    tui.wait_for(" 1 of 21 ");
    tui.send("q");
    assert!(tui.wait_exit());

    let config = sandbox.write("config.toml", "[console]\nmouse = false\n");
    let config = config.to_str().unwrap();
    let mut tui = Pty::spawn_with(
        &sandbox,
        &["review", "Q4", "--as", SPONSOR],
        100,
        30,
        &[("RECERT_CONFIG", config)],
    );
    tui.wait_for_all(&["Queue", " 1 of 21 "]);
    tui.send("q");
    assert!(tui.wait_exit());
    assert!(
        !tui.raw().windows(8).any(|w| w == b"\x1b[?1000h"),
        "the mouse is left to the terminal"
    );
}
