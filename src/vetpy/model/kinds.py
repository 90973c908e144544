"""Names of the model kinds and evaluation protocols (no heavy imports: the CLI reads them at start-up)."""

MODEL_KINDS = ("seed", "default")
ABLATIONS = (
    "default-no-artefacts",  # the default model without the size / metadata-completeness features
    "default-plain",  # no artefact features, no augmented copies: the model shipped before 2026-11-30
    "default-relocated",  # no artefact features, relocated copies only (no dormant ones)
)
PROTOCOLS = ("stratified", "grouped", "time")
#: Not run by default: the variant-selection check on the time split's training side (selection_cv), the
#: campaign hold-out and the payload-location hold-out (model/holdout.py).
EXTRA_PROTOCOLS = ("selection", "family", "location")
