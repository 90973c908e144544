"""Names of the model kinds and evaluation protocols (no heavy imports: the CLI reads them at start-up)."""

MODEL_KINDS = ("seed", "default")
ABLATIONS = (
    "default-all-features",  # the default model with the packaging artefacts kept in
    "default-relocated",  # the default model also trained on relocated copies (model/augment.py)
)
PROTOCOLS = ("stratified", "grouped", "time")
