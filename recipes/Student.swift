// A helper the shipped recipes share: any Swift declaration may sit beside the recipes; only `Recipe` values are built.
import LabforgeRecipe

/// The lab user every shipped image has: uid 1000, no password (cloud-init adds keys or a password at boot).
let student = CreateUser("student", uid: 1000, comment: "Lab Student", groups: ["users"], shell: "/bin/bash")
