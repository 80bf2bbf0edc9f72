//! No keypress panics in any state; rendering survives every size. On the fake, in process
//! and attached: on a real engine the storm's confirmed actions really happen (deploys,
//! canaries, deletions, imports of random paths), and their failures must not panic either.

use std::ops::RangeInclusive;

use super::served::{Attached, Fake, InProcess, Rigs, on_every_backend, readonly, rig};
use crate::tui::msg::{DataUpdate, Msg};

const KEYS: &[&str] = &[
    "j",
    "k",
    "h",
    "l",
    "g",
    "G",
    "enter",
    "esc",
    "tab",
    "shift-tab",
    "space",
    "?",
    "/",
    ":",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "0",
    "+",
    "-",
    "=",
    "f",
    "z",
    "m",
    "s",
    "p",
    "c",
    "C",
    "e",
    "x",
    "a",
    "D",
    "F",
    "r",
    "d",
    "P",
    "X",
    "o",
    "i",
    "E",
    "y",
    "n",
    "t",
    "!",
    "(",
    "ctrl-s",
    "ctrl-z",
    "ctrl-y",
    "ctrl-f",
    "ctrl-n",
    "ctrl-p",
    "ctrl-t",
    "ctrl-u",
    "ctrl-r",
    "backspace",
    "up",
    "down",
    "left",
    "right",
    "pgup",
    "pgdn",
    "home",
    "end",
    "del",
    "f5",
];

/// A small deterministic generator (xorshift) so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

/// Storms of 400 random keys, one console per seed (every third read-only).
fn key_storms<R: Rigs>(seeds: RangeInclusive<u64>) {
    for seed in seeds {
        let mut h = if seed % 3 == 0 {
            readonly::<R>()
        } else {
            rig::<R>()
        };
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for step in 0..400 {
            let key = KEYS[rng.next() % KEYS.len()];
            if key == "q" {
                continue;
            }
            let effects = h.press(key);
            if step % 7 == 0 {
                h.settle(effects);
            }
            if step % 50 == 0 {
                let (w, hgt) = [(80, 24), (160, 48), (79, 23), (200, 60), (20, 5)][rng.next() % 5];
                h.app.update(Msg::Resize(w, hgt));
                let _ = h.render(w, hgt);
            }
        }
        let _ = h.render(80, 24);
    }
}

/// Twelve seeds on the fake; on the real engine (a server per seed) three, one read-only.
mod random_key_storms_never_panic_and_always_render {
    use super::*;

    #[test]
    fn fake() {
        key_storms::<Fake>(1..=12);
    }

    #[test]
    fn in_process() {
        key_storms::<InProcess>(1..=3);
    }

    #[test]
    fn attached() {
        key_storms::<Attached>(4..=6);
    }
}

fn empty_world_renders_every_view<R: Rigs>() {
    let mut h = rig::<R>();
    h.app.update(Msg::Data(DataUpdate::Apis(Vec::new())));
    h.app.stages.clear();
    h.app.deployments.clear();
    h.app.usage = Default::default();
    for v in ["1", "2", "3", "4", "5", "6", "7", "8"] {
        h.press(v);
        for (w, hgt) in [(80, 24), (160, 48)] {
            let _ = h.render(w, hgt);
        }
        h.press("j k h l enter x F r P X e a tab esc");
    }
}

on_every_backend!(empty_world_renders_every_view);
