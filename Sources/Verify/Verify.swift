// Verify: boots a built image and probes its agents.
