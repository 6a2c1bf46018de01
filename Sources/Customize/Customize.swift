// Customize: see ../../../shared/DESIGN.md for what this module holds.
