"""The evaluation protocols' one definition: model kinds, protocol names, split dates and fold counts (no
heavy imports: the CLI reads them at start-up, and ``benchmarks/`` imports them instead of copying)."""

MODEL_KINDS = ("seed", "default")
ABLATIONS = (
    "default-no-artefacts",  # the default model without the size / metadata-completeness features
    "default-plain",  # no artefact features, no augmented copies: the model shipped before 2026-11-30
    "default-relocated",  # no artefact features, relocated copies only (no dormant ones)
    "default-no-new-tokens",  # default without the code tokens of the 2026-12 detectors (selection check)
    "default-with-lines",  # default plus the suspicious-lines word bag (the default until 2026-12-01 12:00)
    "default-disguised",  # default plus copies of its malware planted in benign projects (augment.py)
    "default-disguised-code",  # the same, but a copy takes only the host's code, not its size and metadata
    "default-disguised-half",  # the full disguise for a seeded half of the training malware
    "default-disguised-named",  # the full disguise, the copy keeping its own name's typosquat values
)
PROTOCOLS = ("stratified", "grouped", "time")
#: Not run by default: the variant-selection check on the time split's training side (selection_cv).
EXTRA_PROTOCOLS = ("selection", "family", "location", "injection")

#: The time split: train on malware seen before this date, test on malware up to TIME_SPLIT_TEST_UNTIL.
TIME_SPLIT_TRAIN_BEFORE = "2024-06-01"
TIME_SPLIT_TEST_UNTIL = "2024-08-31"
CV_FOLDS = 10  # the paper's protocol
SELECTION_FOLDS = 5
#: Held-out malware per selection fold planted in the fold's held-out benign projects (lab/injection.py).
SELECTION_PLANTED = 60
BENIGN_TRAIN_BUCKETS = 70  # of 100: benign projects whose name hash falls below go to training
