"""`python -m dreamgan` is the same as the `dreamgan` command."""
from dreamgan.cli import main

if __name__ == "__main__":
    main()
