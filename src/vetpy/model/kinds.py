"""Names of the model kinds and evaluation protocols (no heavy imports: the CLI reads them at start-up)."""

MODEL_KINDS = ("seed", "default")
ABLATIONS = (
    "default-all-features",  # the default model with the packaging artefacts kept in
    "default-plain",  # the default model without augmented copies (model/augment.py)
    "default-relocated",  # the default model with relocated copies only, no dormant ones
)
PROTOCOLS = ("stratified", "grouped", "time")
#: Not run by default: the variant-selection check on the time split's training side (selection_cv).
EXTRA_PROTOCOLS = ("selection",)
