"""IVR menus and the FastAGI side (see issue 3)."""
