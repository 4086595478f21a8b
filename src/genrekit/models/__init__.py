"""Model families (classic, torch networks, Hugging Face transformers) behind one registry."""
