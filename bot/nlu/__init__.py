"""Custom Rasa NLU components (``config.yml``): the multilingual tokenizer and entity
extractor (spaCy rules over jieba for Chinese), TF-IDF and sentence-embedding
featurizers, and the logistic-regression intent classifier."""
