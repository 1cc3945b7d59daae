"""One connector per social network, all behind the small interface in `app.networks.base`."""
