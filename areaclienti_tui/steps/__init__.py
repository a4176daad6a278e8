"""The guide's steps as Textual screens, one module per group of steps."""
