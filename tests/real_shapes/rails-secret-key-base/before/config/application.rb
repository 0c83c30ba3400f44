require_relative "boot"
require "rails/all"

module Ledger
  class Application < Rails::Application
    config.load_defaults 7.2
    # Encrypted columns use keys derived from secret_key_base.
    config.active_record.encryption.key_derivation_salt = Rails.application.key_generator.generate_key("ar-salt").unpack1("H*")
  end
end
