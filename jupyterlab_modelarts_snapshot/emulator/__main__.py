import sys

from ..i18n import current, from_environment
from .server import build_parser, run

current.set(from_environment())  # messages and --help in the language of LANG, as the CLI's
sys.exit(run(build_parser().parse_args()))
