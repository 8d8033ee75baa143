"""The Tensor to Intelligence autograder: runs each module's tests in a child process and
explains what passed, what failed and why. The CLI entry point is `grader.cli:main` (`grade`)."""
