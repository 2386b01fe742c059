"""Pure policies: state and inputs in, a decision out; the clock is passed in, never read."""
