"""Dataset: the development corpora (benign releases fetched through the index, the malicious corpus)."""
