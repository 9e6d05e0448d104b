import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { RoleView } from '../../roles/index.js';
import { TenantView } from '../../tenants/index.js';
import { UserView } from '../../users/index.js';

export class LoginDto {
  @ApiProperty({ example: 'admin@example.com' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password!: string;
}

export class LoginResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires' }) expiresIn!: number;
  @ApiProperty({ type: UserView }) user!: UserView;
}

export class MeResponse {
  @ApiProperty({ type: UserView, nullable: true, description: 'null for an API key' }) user!: UserView | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'null for a user' })
  apiKeyId!: string | null;
  @ApiProperty({ type: TenantView }) tenant!: TenantView;
  @ApiProperty({ type: [RoleView] }) roles!: RoleView[];
  @ApiProperty({ type: [String] }) permissions!: string[];
}
