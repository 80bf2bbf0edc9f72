//! Console tests: app logic (keys in, state and effects out) and rendering.
