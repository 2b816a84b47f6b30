"""python -m hadrill.schemas: regenerate the shipped JSON Schema files from the models."""

from hadrill.schemas import write_all

for path in write_all():
    print(path)
