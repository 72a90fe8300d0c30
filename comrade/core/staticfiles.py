"""The static files storage of production: whitenoise's compressed, hashed files, collected by
`manage.py collectstatic`. A deployment that forgot collectstatic gets unstyled pages with a
warning in the log rather than a 500 on every page that links a stylesheet."""

import logging

from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def url(self, name, force=False):
        try:
            return super().url(name, force)
        except ValueError:
            logger.warning("static file %s is not collected; run manage.py collectstatic", name)
            return super(HashedFilesMixin, self).url(name)
